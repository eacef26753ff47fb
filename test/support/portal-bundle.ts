import { existsSync } from 'node:fs';
import { join } from 'node:path';
// @ts-expect-error -- the build script is plain JavaScript without type declarations.
import { buildPortal, portalOutputDirectory } from '../../scripts/build-portal.mjs';

/**
 * The server reads the portal's files when it starts, so tests that load pages build them first when a
 * checkout has never run `npm run build`.
 */
export async function ensurePortalBuilt(): Promise<void> {
  if (existsSync(join(portalOutputDirectory as string, 'index.html'))) return;
  await (buildPortal as () => Promise<void>)();
}

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildPortal, portalOutputDirectory } from '../../scripts/build-portal.mjs';

/**
 * The server reads the portal's files when it starts, so tests that load pages build them first when a
 * checkout has never run `npm run build`.
 */
export async function ensurePortalBuilt(): Promise<void> {
  if (existsSync(join(portalOutputDirectory, 'index.html'))) return;
  await buildPortal();
}

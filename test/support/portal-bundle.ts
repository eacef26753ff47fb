import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildPortal, portalOutputDirectory } from '../../scripts/build-portal.mjs';

const portalSources = join(import.meta.dirname, '..', '..', 'portal');

function newestChangeIn(directory: string): number {
  return Math.max(
    ...readdirSync(directory, { withFileTypes: true }).map((item) => {
      const path = join(directory, item.name);
      return item.isDirectory() ? newestChangeIn(path) : statSync(path).mtimeMs;
    }),
  );
}

/**
 * The server reads the portal's files when it starts, so tests that load pages build them first when a
 * checkout has never run `npm run build`, or when a source changed since the last build (a stale bundle
 * would test yesterday's portal).
 */
export async function ensurePortalBuilt(): Promise<void> {
  const index = join(portalOutputDirectory, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newestChangeIn(portalSources)) return;
  await buildPortal();
}

// Bundles the management portal (portal/) into dist/portal: one script and one style sheet, each named by
// a hash of its content so the server can let browsers keep them for a year, and an index.html naming them.
// Everything the page loads comes from the server itself; nothing is fetched from another host.
import { build } from 'esbuild';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const portalOutputDirectory = join(projectRoot, 'dist', 'portal');

function contentHash(text) {
  return createHash('sha256').update(text).digest('base64url').slice(0, 10).replace(/[-_]/g, 'x');
}

export async function buildPortal() {
  // Built beside the old copy and swapped in at the end, so a server starting meanwhile reads either the
  // old files or the new ones, and two builds at once do not delete each other's output.
  const stagingDirectory = `${portalOutputDirectory}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const assetDirectory = join(stagingDirectory, 'assets');
  await mkdir(assetDirectory, { recursive: true });
  const result = await build({
    absWorkingDir: projectRoot,
    entryPoints: ['portal/main.tsx'],
    outdir: assetDirectory,
    entryNames: '[name]-[hash]',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((path) => basename(path));
  const script = outputs.find((name) => name.endsWith('.js'));
  const styles = outputs.find((name) => name.endsWith('.css'));
  if (script === undefined || styles === undefined)
    throw new Error('the portal build produced no script or styles');
  const icon = await readFile(join(projectRoot, 'portal', 'icon.svg'), 'utf8');
  const iconName = `icon-${contentHash(icon)}.svg`;
  await writeFile(join(assetDirectory, iconName), icon);
  const index = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Strongroom</title>
    <link rel="icon" href="/portal/assets/${iconName}" type="image/svg+xml" />
    <link rel="stylesheet" href="/portal/assets/${styles}" />
    <script type="module" src="/portal/assets/${script}"></script>
  </head>
  <body>
    <div id="app"></div>
  </body>
</html>
`;
  await writeFile(join(stagingDirectory, 'index.html'), index);
  await rm(portalOutputDirectory, { recursive: true, force: true });
  await rename(stagingDirectory, portalOutputDirectory).catch(async (error) => {
    // Another build swapped its copy in first; that one is as good as this.
    await rm(stagingDirectory, { recursive: true, force: true });
    if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildPortal();

// Bundles the CLI and the libraries it uses into dist/strongroom.mjs. Loading one file is what lets
// `strongroom serve` start in well under a second: through tsx every module, dependencies included, is
// handed to a loader thread, and even plain Node spends most of a second finding, reading and compiling the
// hundreds of small files the libraries are made of.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPortal } from './build-portal.mjs';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

// Native addons cannot be bundled (the operating system loads a .node file), and pg's optional native driver
// is not installed.
const external = ['better-sqlite3', '@node-rs/argon2', 'pg-native'];

// The bundle is an ES module, which has no require(); the CommonJS libraries in it call require() for Node's
// own modules and for the external packages above. A package is looked for where require() would look, but
// without asking it (a package's "exports" may not list its package.json).
const banner = `import { createRequire as createRequireInBundle } from 'node:module';
const require = createRequireInBundle(import.meta.url);
const fileInInstalledPackage = (name, file) => {
  const { existsSync } = require('node:fs');
  const { join } = require('node:path');
  const packageDirectory = require.resolve
    .paths(name)
    .map((modulesDirectory) => join(modulesDirectory, name))
    .find((candidate) => existsSync(join(candidate, 'package.json')));
  return join(packageDirectory ?? name, file);
};`;

/**
 * A few libraries find files of their own through __dirname: swagger-ui serves its static directory, pino
 * and thread-stream start workers from their files. In the bundle __dirname would be dist/, so each such
 * module gets the directory it has in node_modules, found at run time as Node would find the package.
 */
const modulesSegment = `${sep}node_modules${sep}`;
const ownDirectoryPlugin = {
  name: 'own-directory',
  setup(esbuild) {
    esbuild.onLoad({ filter: /[\\/]node_modules[\\/].*\.[cm]?js$/ }, async ({ path }) => {
      const contents = await readFile(path, 'utf8');
      if (!/\b__(dirname|filename)\b/.test(contents)) return undefined;
      if (path.indexOf(modulesSegment) !== path.lastIndexOf(modulesSegment)) {
        throw new Error(`${path} is a nested copy; the bundle cannot tell where it will be installed`);
      }
      const segments = path.slice(path.indexOf(modulesSegment) + modulesSegment.length).split(sep);
      const nameLength = segments[0]?.startsWith('@') ? 2 : 1;
      const name = JSON.stringify(segments.slice(0, nameLength).join('/'));
      const file = JSON.stringify(segments.slice(nameLength).join('/'));
      const location =
        `var __filename = fileInInstalledPackage(${name}, ${file});\n` +
        `var __dirname = require('node:path').dirname(__filename);\n`;
      // After a 'use strict' directive, which only counts as the first statement of the file.
      const directive = /^\s*(['"])use strict\1;?/.exec(contents)?.[0] ?? '';
      return { contents: `${directive}\n${location}${contents.slice(directive.length)}`, loader: 'js' };
    });
  },
};

await build({
  absWorkingDir: projectRoot,
  entryPoints: ['src/cli/strongroom.ts'],
  outfile: 'dist/strongroom.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external,
  banner: { js: banner },
  plugins: [ownDirectoryPlugin],
  sourcemap: 'linked',
  logLevel: 'warning',
});

// The portal's static files, which the server serves from dist/portal.
await buildPortal();

#!/usr/bin/env node
// The published entry point. It runs the bundle that `npm start` and `npm run build` write, which starts
// several times faster, and the TypeScript sources through tsx where nothing has been built.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/strongroom.mjs', import.meta.url);
if (existsSync(bundle)) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/strongroom.ts');
}

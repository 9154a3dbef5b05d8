// npm run build: bundles src/app.js (with @litertjs/core) into dist/app.js and copies the LiteRT
// wasm files beside it, so the page loads everything from its own origin, offline.
import {build} from 'esbuild';
import {cpSync, mkdirSync, readdirSync, rmSync} from 'node:fs';

rmSync('dist', {recursive: true, force: true});
mkdirSync('dist/wasm', {recursive: true});
await build({
  entryPoints: ['src/app.js'],
  bundle: true,
  format: 'esm',
  minify: true,
  outfile: 'dist/app.js',
  logLevel: 'warning',
});
const wasm = 'node_modules/@litertjs/core/wasm';
for (const file of readdirSync(wasm).filter((name) => !name.includes('threaded'))) {
  cpSync(`${wasm}/${file}`, `dist/wasm/${file}`);
}

// Bundles page.jsx, the official widgets and their React peers into dist/ (page.js and the
// page.css esbuild collects from the packages' stylesheets) for server.mjs to serve.
// `node build.mjs` builds once; server.mjs calls build() itself when dist/ is missing or older
// than its sources, so the Playwright webServer entry needs no separate build step.
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
export const distDir = join(here, 'dist');
const entry = join(here, 'page.jsx');
const sources = [entry, join(here, 'build.mjs'), join(here, 'package-lock.json')];

/** True when dist/ holds a bundle at least as new as every source it is made from. */
export function upToDate() {
  const outputs = ['page.js', 'page.css'].map((name) => join(distDir, name));
  if (!outputs.every(existsSync)) return false;
  const built = Math.min(...outputs.map((path) => statSync(path).mtimeMs));
  return sources.every((path) => !existsSync(path) || statSync(path).mtimeMs <= built);
}

export async function build() {
  await esbuild.build({
    entryPoints: { page: entry },
    outdir: distDir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    jsx: 'automatic',
    // React's production build: what an app ships (and no development-only double renders).
    define: { 'process.env.NODE_ENV': '"production"' },
    sourcemap: true,
    logLevel: 'warning',
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await build();
  console.log(`built ${join(distDir, 'page.js')} and page.css`);
}

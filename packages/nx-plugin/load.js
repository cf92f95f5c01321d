/**
 * Loads a module of the plugin: the compiled JavaScript in dist/ (`npm run build:plugin`) when it is at
 * least as new as every TypeScript source, else the source itself through swc. Nx starts one process per
 * step and per run; compiled, each skips loading a TypeScript compiler (about half a second here), and a
 * source edited since the last build is still what runs.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const SRC = path.join(__dirname, 'src');
const DIST = path.join(__dirname, 'dist');
/** Written last by the build: its time is the build's. */
const BUILT_MARKER = path.join(DIST, '.built');

function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (/\.(ts|json)$/.test(entry.name) && !entry.name.endsWith('.spec.ts')) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

let compiledIsCurrent;
function useCompiled() {
  if (compiledIsCurrent === undefined) {
    try {
      compiledIsCurrent = fs.statSync(BUILT_MARKER).mtimeMs >= newestSource(SRC);
    } catch {
      compiledIsCurrent = false;
    }
  }
  return compiledIsCurrent;
}

/** `modulePath` is relative to src/ without extension, e.g. `executors/mcr-check/executor`. */
module.exports = function load(modulePath) {
  if (useCompiled()) return require(path.join(DIST, `${modulePath}.js`));
  require('@swc-node/register');
  return require(path.join(SRC, `${modulePath}.ts`));
};

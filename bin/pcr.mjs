#!/usr/bin/env node
// The `pcr` command: the register's server and operator tools.
// It runs the JavaScript that `npm run build` (npm ci runs it) writes to dist/, when that build was
// made from the sources as they are now; otherwise (no build, or a source edited, added or removed
// since) it runs the TypeScript sources through tsx, which compiles every module it loads at each
// start. PCR_SKIP_BUILD=1 always runs the sources.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);

/** The compiled main module when dist/ holds a build of the current sources, else undefined. */
async function builtMain() {
  if (process.env.PCR_SKIP_BUILD === '1') return undefined;
  let built;
  try {
    built = JSON.parse(readFileSync(new URL('dist/build.json', root), 'utf8')).fingerprint;
  } catch {
    return undefined;
  }
  const { sourceFingerprint } = await import('../scripts/build.mjs');
  let current;
  try {
    current = sourceFingerprint(fileURLToPath(root));
  } catch {
    return undefined;
  }
  return current === built ? new URL('dist/src/cli/main.js', root).href : undefined;
}

let entry = await builtMain();
if (process.env.PCR_TEST_STARTUP === '1') process.stderr.write(`pcr: running ${entry ? 'dist/ (built)' : 'src/ through tsx'}\n`);
if (!entry) {
  const { register } = await import('tsx/esm/api');
  register();
  entry = new URL('src/cli/main.ts', root).href;
}
const { main } = await import(entry);
process.exitCode = await main(process.argv.slice(2));

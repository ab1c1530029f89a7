// `npm run bench -- NAME`: runs bench/NAME.ts (all benchmarks without a name).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../bench/', import.meta.url));
const names = process.argv.slice(2);
const all = readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'common.ts').map((f) => f.slice(0, -3));
for (const name of names.length ? names : all) {
  if (!all.includes(name)) {
    console.error(`No benchmark ${name} (have: ${all.join(', ')})`);
    process.exit(2);
  }
  const r = spawnSync(process.execPath, ['--import', 'tsx', `${dir}${name}.ts`], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

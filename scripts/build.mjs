// `npm run build` (and `prepare`, so `npm ci` runs it): the TypeScript of src/ and client/src/ as
// JavaScript in dist/, which bin/pcr.mjs runs instead of compiling the sources through tsx at
// every command. Each file is transpiled on its own, as tsx does it: types are
// stripped, nothing is type-checked here (that is `npm run typecheck`, and npm test runs it), so a
// type error never stops an installation and the built code behaves as the code tsx runs.
//
// dist/ mirrors the repository (dist/src/…, dist/client/src/…) so that every path a module
// computes from import.meta.url lands where it does in the sources: the SQL migrations are copied
// next to the compiled migrate.js, and package.json (read by src/cli/main.ts as ../../package.json)
// is copied to dist/. Last, dist/build.json records the fingerprint of the sources (sourceFingerprint
// below); bin/pcr.mjs computes it again at start and runs the sources through tsx when it differs.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the build is made from: the folders whose every file counts, and single files. */
const SOURCE_DIRS = ['src', 'client/src'];
const SOURCE_FILES = ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/build.mjs'];

/**
 * The fingerprint of the sources: a hash of every source file's path, size and modification
 * time (not its content: about 250 stat calls take a few milliseconds, reading and hashing 2 MB
 * would cost more at every command). Any edit, added or removed file, or a file put back with an
 * older time changes it, so a build older than the sources in any way is not run.
 */
export function sourceFingerprint(root) {
  const hash = createHash('sha256');
  const add = (rel) => {
    const st = statSync(join(root, rel), { throwIfNoEntry: false });
    hash.update(`${rel}\0${st ? `${st.size}\0${st.mtimeMs}` : '-'}\n`);
  };
  const walk = (dir) => {
    for (const e of readdirSync(join(root, dir), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(rel);
      else add(rel);
    }
  };
  for (const d of SOURCE_DIRS) walk(d);
  for (const f of SOURCE_FILES) add(f);
  return hash.digest('hex');
}

// Imported by bin/pcr.mjs for sourceFingerprint: the build runs only as `node scripts/build.mjs`.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) build();

function build() {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const out = join(root, 'dist');

  let ts;
  try {
    ts = createRequire(import.meta.url)('typescript');
  } catch {
    // An installation without the dev dependencies (npm ci --omit=dev): pcr runs the sources through tsx.
    console.warn('build: typescript is not installed; pcr will run the TypeScript sources through tsx');
    return;
  }

  const started = Date.now();
  const configFile = join(root, 'tsconfig.build.json');
  const read = ts.readConfigFile(configFile, ts.sys.readFile);
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, root, undefined, configFile);
  if (parsed.errors.length > 0) throw new Error(parsed.errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('\n'));

  // A half-written dist/ is never run: the new build is made beside it and renamed into place.
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  let files = 0;
  for (const file of parsed.fileNames) {
    if (file.endsWith('.d.ts')) continue;
    const rel = relative(root, file);
    const result = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions: parsed.options, fileName: file, reportDiagnostics: true });
    const problems = (result.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
    if (problems.length > 0) {
      rmSync(tmp, { recursive: true, force: true });
      throw new Error(`${rel}: ${problems.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('; ')}`);
    }
    const target = join(tmp, rel.replace(/\.(m|c)?ts$/, (_, m) => `.${m ?? ''}js`));
    mkdirSync(dirname(target), { recursive: true });
    const map = `${target}.map`;
    writeFileSync(target, result.outputText.replace(/\/\/# sourceMappingURL=.*$/m, `//# sourceMappingURL=${relative(dirname(target), map)}`));
    if (result.sourceMapText) {
      // Point the map at the real source, so a stack trace (node --enable-source-maps) names src/….ts.
      const sm = JSON.parse(result.sourceMapText);
      sm.sources = [relative(dirname(target), file)];
      writeFileSync(map, JSON.stringify(sm));
    }
    files++;
  }

  // The files the code reads at run time next to its own module.
  const migrations = join(root, 'src/db/migrations');
  mkdirSync(join(tmp, 'src/db/migrations'), { recursive: true });
  for (const name of ts.sys.readDirectory(migrations, ['.sql'], undefined, undefined, 1)) copyFileSync(name, join(tmp, 'src/db/migrations', relative(migrations, name)));
  copyFileSync(join(root, 'package.json'), join(tmp, 'package.json'));

  writeFileSync(join(tmp, 'build.json'), `${JSON.stringify({ fingerprint: sourceFingerprint(root), typescript: ts.version }, null, 2)}\n`);
  rmSync(out, { recursive: true, force: true });
  renameSync(tmp, out);
  console.log(`build: ${files} files to dist/ in ${Date.now() - started} ms`);
}

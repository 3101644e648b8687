// `npm run build`: the CLI as an esbuild bundle in dist/, built from the dependencies exactly as
// they are published. Type checking is `npm run typecheck` (tsc --noEmit); tsc writes nothing.
//
// Why a bundle: loading several hundred files of node_modules one by one (undici, pino,
// csv-parse, libphonenumber-js, zod…) was most of the time before the first request. dist/bin.js
// holds the code needed to start; each module imported lazily (the stand-in, .xlsx, job files)
// gets a chunk of its own, loaded only when used.
//
// No dependency's code is rewritten or replaced here: esbuild only reads the files that
// Node would load and concatenates them. Three things stay outside the bundle and load from
// node_modules at run time, as `npm install` put them:
//   - yargs (and the packages only it uses: yargs-parser, cliui, y18n…). Its ESM entry finds its
//     locale files and the package.json that `--version` prints from its own file's location
//     (node_modules/yargs/…); bundled, that location would be dist/, and both would be wrong
//     (`--version` printed "unknown" outside this folder, the help lost its translations). From
//     node_modules it behaves as published; it costs ~30 ms of start-up (README, "Measured").
//   - iconv-lite's CJK code tables (~470 KB of JSON, required lazily by codecs this tool never
//     uses: it reads UTF-8, UTF-16 and Windows-1252): left where they are, required if ever needed.
//   - Modules our code loads through createRequire (cli-progress; unzipper and saxes for .xlsx):
//     esbuild does not follow those; they load lazily from node_modules, as without a bundle.
// undici is bundled whole: its index.js loads fetch, WebSocket and the rest besides the Pool this
// tool uses. Taking only the Pool meant rewriting that index; the rest costs ~30 ms of start-up.
// CommonJS dependencies call `require` inside an ES module: the banner provides one.
import { analyzeMetafile, build } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const rel = (p) => relative(root, p);
const requireHere = createRequire(join(root, 'package.json'));
/** A dependency's folder, as Node resolves it from this package. */
const packageDir = (name) => dirname(requireHere.resolve(`${name}/package.json`));

// The CLI, and the modules the repository's own scripts import from dist/ (scripts/demo.mjs and
// scripts/soak.mjs start the stand-in in-process; scripts/options-table.mjs prints the flag table).
// Each keeps its path under src/ (dist/standin/server.js…); the code they share is in chunks.
const ENTRY_POINTS = ['src/bin.ts', 'src/standin/server.ts', 'src/options/help.ts'];
const entryPoints = ENTRY_POINTS.filter((p) => existsSync(join(root, p)));
if (!entryPoints.includes('src/bin.ts')) throw new Error('build: src/bin.ts is missing');

/** Packages loaded from node_modules at run time (see above). */
const EXTERNAL = ['yargs'];

/** iconv-lite's code tables stay in node_modules (a resolution choice; the files are not touched). */
const iconvTablesExternal = {
  name: 'iconv-lite-tables-external',
  setup(b) {
    // Only the copy that `require('iconv-lite/…')` finds at run time (a nested copy of another
    // version would get the wrong tables, so it stays bundled whole).
    const encodings = join(packageDir('iconv-lite'), 'encodings');
    b.onResolve({ filter: /^\.\/tables\/[\w-]+\.json$/ }, (args) => {
      if (args.resolveDir !== encodings) return undefined;
      const specifier = `iconv-lite/encodings/tables/${args.path.slice('./tables/'.length)}`;
      requireHere.resolve(specifier); // fails the build if the table is not where run time will look
      return { path: specifier, external: true };
    });
  },
};

const result = await build({
  absWorkingDir: root,
  entryPoints,
  outbase: 'src',
  outdir: dist,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: EXTERNAL,
  chunkNames: 'chunk-[name]-[hash]',
  // Whitespace and syntax only: identifiers keep their names (error classes, stack traces).
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: true,
  legalComments: 'eof',
  metafile: true,
  // Written below: a failed build leaves dist/ as it was.
  write: false,
  logLevel: 'warning',
  banner: {
    js: "import { createRequire as __ldiCreateRequire } from 'node:module';\nconst require = __ldiCreateRequire(import.meta.url);",
  },
  plugins: [iconvTablesExternal],
});

// What is outside the bundle must stay outside: a bundled yargs would print the wrong --version.
const inputs = Object.keys(result.metafile.inputs);
for (const name of EXTERNAL) {
  const bundled = inputs.find((p) => p.includes(`node_modules/${name}/`));
  if (bundled !== undefined) throw new Error(`build: ${bundled} is in the bundle; ${name} must load from node_modules (see scripts/build.mjs)`);
}

const written = new Set();
for (const f of result.outputFiles) {
  mkdirSync(dirname(f.path), { recursive: true });
  writeFileSync(f.path, f.contents);
  written.add(f.path);
}

// Anything else in dist/ is from an earlier build (chunks whose names carry another hash, the
// per-file output tsc used to write, yargs's locales): removed once the new files are in place.
function prune(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      prune(p);
      if (readdirSync(p).length === 0) rmdirSync(p);
    } else if (!written.has(p)) rmSync(p);
  }
}
prune(dist);

// `node scripts/build.mjs --analyze`: what each output holds, largest first.
if (process.argv.includes('--analyze')) process.stdout.write(await analyzeMetafile(result.metafile, { verbose: false }));
const outputs = Object.entries(result.metafile.outputs).filter(([p]) => p.endsWith('.js'));
const kb = (bytes) => `${(bytes / 1024).toFixed(0)} KB`;
process.stdout.write(`bundled ${entryPoints.join(', ')} → ${outputs.map(([p, o]) => `${rel(join(root, p))} (${kb(o.bytes)})`).join(', ')}\n`);

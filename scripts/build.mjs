// The CLI's bundle: `npm run build` runs tsc first (dist/**/*.js and the declarations, the
// package's "main"), then this, which replaces dist/bin.js (and dist/map/worker.js, the map
// stage's worker thread) with esbuild bundles of the same entry points.
//
// Why: loading several hundred files of node_modules (undici, yargs, libphonenumber-js, pino,
// csv-parse…) one by one was most of the time before the first request. One bundle of the code
// needed to start, plus a chunk per lazily imported module (job files, .xlsx, the stand-in),
// loads in a fraction of that.
//
// What differs from running the tsc output, and is handled here:
//   - yargs's ESM shim finds its locale files and the package.json (for --version) from its own
//     file's location; in the bundle that is dist/. The locales are copied to dist/locales and the
//     shim is pointed at them and at the bundle's own path (so --version finds this package's
//     package.json, as before). The patch fails the build if the shim's code changed.
//   - libphonenumber-js's matchesEntirely() gets a RegExp cache (see phone-regexp-patch.mjs).
//   - undici: only its Pool is bundled; iconv-lite's CJK tables stay in node_modules (below).
//   - CommonJS dependencies need `require` inside an ES module: the banner provides it.
//   - Modules loaded at run time through createRequire (cli-progress; unzipper and saxes for
//     .xlsx) are not bundled: they load from node_modules, lazily, as before.
//
// Every chunk is written to dist/ itself (not a subfolder), so `new URL('./map/worker.js',
// import.meta.url)` and the locales' path mean the same in every chunk.
import { analyzeMetafile, build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MATCHES_ENTIRELY_FILTER, PHONE_PATCH_MARKER, patchMatchesEntirely } from './phone-regexp-patch.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// `--outdir DIR` (default dist): bundle beside a tsc output elsewhere, e.g. to compare builds.
const outdirArg = process.argv.indexOf('--outdir');
const dist = outdirArg > 0 ? resolve(root, process.argv[outdirArg + 1]) : join(root, 'dist');
const rel = (p) => relative(root, p);
const requireHere = createRequire(join(root, 'package.json'));
/** A dependency's folder, as Node resolves it from this package. */
const packageDir = (name) => dirname(requireHere.resolve(`${name}/package.json`));

// The entry points, at the same paths tsc gives them (outbase src). The worker is optional so
// the build works on a tree that does not have it.
const entryPoints = ['src/bin.ts', 'src/map/worker.ts'].filter((p) => existsSync(join(root, p)));

// ---------------------------------------------------------------- patches
/** Replaces each `from` (which must occur exactly once) with `to`; throws naming the file otherwise. */
function replaceExactlyOnce(source, path, edits) {
  let out = source;
  for (const [from, to] of edits) {
    const count = out.split(from).length - 1;
    if (count !== 1) {
      throw new Error(`${path}: expected ${JSON.stringify(from)} exactly once, found it ${count} times (was the package upgraded? see scripts/build.mjs)`);
    }
    out = out.replace(from, () => to);
  }
  return out;
}

const patched = { matchesEntirely: new Set(), yargsShim: new Set() };

/** libphonenumber-js: the RegExp cache. */
const phonePatch = {
  name: 'libphonenumber-matches-entirely-cache',
  setup(b) {
    b.onLoad({ filter: MATCHES_ENTIRELY_FILTER }, (args) => {
      const contents = patchMatchesEntirely(readFileSync(args.path, 'utf8'), args.path);
      patched.matchesEntirely.add(args.path);
      return { contents, loader: 'js' };
    });
  },
};

/** yargs's ESM platform shim: locales from dist/locales, package.json found from the bundle. */
const yargsShimPatch = {
  name: 'yargs-esm-shim-paths',
  setup(b) {
    b.onLoad({ filter: /[\\/]yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/ }, (args) => {
      const contents = replaceExactlyOnce(readFileSync(args.path, 'utf8'), args.path, [
        // Unbundled, mainFilename is the folder holding node_modules/yargs, so --version reads
        // that folder's package.json: this package's. In the bundle, start from the bundle's own
        // file (dist/…), whose nearest package.json is this package's too.
        ['mainFilename: mainFilename || process.cwd(),', 'mainFilename: fileURLToPath(import.meta.url),'],
        ["directory: resolve(__dirname, '../../../locales'),", "directory: fileURLToPath(new URL('./locales', import.meta.url)),"],
      ]);
      patched.yargsShim.add(args.path);
      return { contents, loader: 'js' };
    });
  },
};

/**
 * undici: the CLI uses only its Pool (src/send/client.ts). undici's index.js loads everything else
 * too (fetch, WebSocket, caches, mocks, proxies: ~700 KB of the bundle, ~9 MB of RSS, 70–100 ms
 * of start-up), so `import … from 'undici'` in src/ gets just the Pool and the request API that
 * index.js puts on Dispatcher.prototype, exactly as index.js does it. Importing anything else from
 * 'undici' in src/ fails the build ("No matching export"): add it here. Tests and the bench use
 * the whole package.
 */
const undiciPoolOnly = {
  name: 'undici-pool-only',
  setup(b) {
    // The shim below repeats what undici's index.js does for the Pool: check it still does.
    const index = join(packageDir('undici'), 'index.js');
    replaceExactlyOnce(readFileSync(index, 'utf8'), index, [
      ["const Pool = require('./lib/dispatcher/pool')", ''],
      ["const Dispatcher = require('./lib/dispatcher/dispatcher')", ''],
      ["const api = require('./lib/api')", ''],
      ['Object.assign(Dispatcher.prototype, api)', ''],
    ]);
    const srcDir = join(root, 'src');
    b.onResolve({ filter: /^undici$/ }, (args) => (args.importer.startsWith(srcDir) ? { path: 'undici', namespace: 'undici-pool-only' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'undici-pool-only' }, () => ({
      resolveDir: root,
      loader: 'js',
      contents: [
        "import Dispatcher from 'undici/lib/dispatcher/dispatcher.js';",
        "import Pool from 'undici/lib/dispatcher/pool.js';",
        "import api from 'undici/lib/api/index.js';",
        'Object.assign(Dispatcher.prototype, api);',
        'export { Pool };',
      ].join('\n'),
    }));
  },
};

/**
 * iconv-lite: its CJK code tables (~470 KB of JSON, required lazily by the double-byte codecs)
 * would be parsed on every start as part of the bundle, for encodings this tool never reads (it
 * accepts UTF-8, UTF-16 and Windows-1252/Latin-1). They stay in node_modules and are required
 * from there at run time if ever needed.
 */
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

// ---------------------------------------------------------------- build
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
  chunkNames: 'chunk-[name]-[hash]',
  // Whitespace and syntax only: identifiers keep their names (error classes, stack traces).
  // Measured: 1.0 MB → 0.74 MB for dist/bin.js and a few MB less RSS; mangling the names as well
  // (0.56 MB) made no difference to the start-up time that could be told from noise.
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: true,
  // Legal comments go to the end of each file; the RegExp cache's marker is one.
  legalComments: 'eof',
  metafile: true,
  // Written below, once the checks pass: a failed check leaves dist/ as it was.
  write: false,
  logLevel: 'warning',
  banner: {
    js: "import { createRequire as __ldiCreateRequire } from 'node:module';\nconst require = __ldiCreateRequire(import.meta.url);",
  },
  plugins: [phonePatch, yargsShimPatch, undiciPoolOnly, iconvTablesExternal],
});

// ---------------------------------------------------------------- checks: fail loudly
const inputs = Object.keys(result.metafile.inputs).map((p) => join(root, p));
const phoneFiles = inputs.filter((p) => MATCHES_ENTIRELY_FILTER.test(p) || /libphonenumber-js.*matchesEntirely/.test(p));
if (phoneFiles.length === 0) throw new Error('build: no libphonenumber-js matchesEntirely.js in the bundle: the RegExp cache patch was not applied');
for (const p of phoneFiles) if (!patched.matchesEntirely.has(p)) throw new Error(`build: ${rel(p)} was bundled without the RegExp cache patch`);
const yargsShims = inputs.filter((p) => /[\\/]yargs[\\/]lib[\\/]platform-shims[\\/]/.test(p));
for (const p of yargsShims) if (!patched.yargsShim.has(p)) throw new Error(`build: ${rel(p)} was bundled unpatched: its locale and package.json paths would be wrong`);
const outputs = Object.keys(result.metafile.outputs).filter((p) => p.endsWith('.js'));
if (!result.outputFiles.some((f) => f.path.endsWith('.js') && f.text.includes(PHONE_PATCH_MARKER))) {
  throw new Error(`build: the bundle does not contain "${PHONE_PATCH_MARKER}"`);
}

for (const f of result.outputFiles) {
  mkdirSync(dirname(f.path), { recursive: true });
  writeFileSync(f.path, f.contents);
}
// Chunks of earlier builds (their names carry a hash), removed after the new ones are written so
// that a CLI running meanwhile does not miss a chunk it imports lazily.
const written = new Set(result.outputFiles.map((f) => f.path));
for (const f of readdirSync(dist)) if (f.startsWith('chunk-') && !written.has(join(dist, f))) rmSync(join(dist, f));

// yargs reads its locale files (en.json, de.json…) at run time.
if (yargsShims.length > 0) {
  cpSync(join(packageDir('yargs'), 'locales'), join(dist, 'locales'), { recursive: true });
}

const kb = (p) => `${(result.metafile.outputs[p].bytes / 1024).toFixed(0)} KB`;
// `node scripts/build.mjs --analyze`: what each output holds, largest first.
if (process.argv.includes('--analyze')) process.stdout.write(await analyzeMetafile(result.metafile, { verbose: false }));
process.stdout.write(`bundled ${entryPoints.join(', ')} → ${outputs.map((p) => `${rel(join(root, p))} (${kb(p)})`).join(', ')}\n`);

// Summarizes a V8 .cpuprofile (from `node --cpu-prof`): self time by function and by package,
// so a hot spot can be named without opening DevTools. dist/bin.js is an esbuild bundle: frames
// in it are mapped back through its source map (dist/*.js.map) to the package or src/ file.
//   node bench/profile-summary.mjs FILE.cpuprofile [top=25] [dist|all]   (total time: project functions, or all)
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

const [file, topArg = '25', scope = 'dist'] = process.argv.slice(2);
const filterAll = scope === 'all';
const prof = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = prof.timeDeltas;
for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (dt[i] ?? 0));
const total = [...self.values()].reduce((a, b) => a + b, 0);

const maps = new Map();
function mapFor(url) {
  if (!maps.has(url)) {
    let m = null;
    try {
      const f = fileURLToPath(url) + '.map';
      if (existsSync(f)) m = new SourceMap(JSON.parse(readFileSync(f, 'utf8')));
    } catch {
      m = null;
    }
    maps.set(url, m);
  }
  return maps.get(url);
}

/** A frame's file: through the bundle's source map when there is one (src/… or the package). */
function where(url, line, column) {
  if (url && url.startsWith('file:') && line !== undefined) {
    const e = mapFor(url)?.findEntry(line, column);
    if (e?.originalSource) {
      const src = e.originalSource;
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(src);
      if (m) return m[1];
      const s = /\/src\/(.*)$/.exec(src);
      if (s) return `dist/${s[1].replace(/\.ts$/, '.js')}`;
    }
  }
  if (!url) return '(native/vm)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const d = /\/dist\/(.*)$/.exec(url);
  return d ? `dist/${d[1]}` : url.replace(/^file:\/\//, '');
}

const fn = new Map();
const pkg = new Map();
for (const [id, us] of self) {
  const n = byId.get(id);
  const cf = n.callFrame;
  const w = where(cf.url, cf.lineNumber, cf.columnNumber);
  const key = `${cf.functionName || '(anonymous)'}  ${w}`;
  fn.set(key, (fn.get(key) ?? 0) + us);
  const p = cf.url ? w.replace(/^dist\/([^/]+)\/.*$/, 'dist/$1/').replace(/^(node:[^/]+).*$/, '$1') : cf.functionName || '(native)';
  pkg.set(p, (pkg.get(p) ?? 0) + us);
}
// Inclusive ("total") time: every function on a sample's stack gets the sample once.
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const keyOf = (n) => `${n.callFrame.functionName || '(anonymous)'}  ${where(n.callFrame.url, n.callFrame.lineNumber, n.callFrame.columnNumber)}`;
const inclusive = new Map();
for (let i = 0; i < prof.samples.length; i++) {
  const seen = new Set();
  for (let id = prof.samples[i]; id !== undefined; id = parent.get(id)) {
    const n = byId.get(id);
    if (!n.callFrame.url.includes('/dist/') && !filterAll) continue;
    seen.add(keyOf(n));
  }
  for (const k of seen) inclusive.set(k, (inclusive.get(k) ?? 0) + (dt[i] ?? 0));
}
const top = Number(topArg);
const show = (m, title) => {
  console.log(`\n${title} (of ${(total / 1000).toFixed(0)} ms sampled)`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`);
  }
};
show(pkg, 'self time by package / file');
show(fn, 'self time by function');
show(inclusive, `total time (self + callees) by function${filterAll ? '' : ' of the project (dist/)'}`);

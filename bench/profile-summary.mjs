// Summarizes a V8 .cpuprofile (from `node --cpu-prof`): self time by function and by package,
// so a hot spot can be named without opening DevTools.
//   node bench/profile-summary.mjs FILE.cpuprofile [top=25] [dist|all]   (total time: project functions, or all)
import { readFileSync } from 'node:fs';

const [file, topArg = '25', scope = 'dist'] = process.argv.slice(2);
const filterAll = scope === 'all';
const prof = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = prof.timeDeltas;
for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (dt[i] ?? 0));
const total = [...self.values()].reduce((a, b) => a + b, 0);

function where(url) {
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
  const w = where(cf.url);
  const key = `${cf.functionName || '(anonymous)'}  ${w}:${cf.lineNumber + 1}`;
  fn.set(key, (fn.get(key) ?? 0) + us);
  const p = cf.url ? w.replace(/^dist\/([^/]+)\/.*$/, 'dist/$1/').replace(/^(node:[^/]+).*$/, '$1') : cf.functionName || '(native)';
  pkg.set(p, (pkg.get(p) ?? 0) + us);
}
// Inclusive ("total") time: every function on a sample's stack gets the sample once.
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const keyOf = (n) => `${n.callFrame.functionName || '(anonymous)'}  ${where(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
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

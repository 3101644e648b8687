// Micro-benchmark of the per-row mapping (mapRow: normalize + validate) on the benchmark's
// realistic rows, without the CSV reader, the sinks or the process around them: the part of a
// dry run that issue 15's cell rules (placeholders, multi-value cells, apostrophes, extensions,
// the per-row country) add work to. The end-to-end figure is `node bench/run.mjs --quick`.
//
//   node bench/map-cells.mjs [--rows 200000] [--rounds 7] [--compare DIR]
//
// src/map/index.ts is bundled with esbuild into a temp file (the project builds only the CLI
// bundle). --compare DIR bundles DIR/src/map/index.ts too (an older tree, e.g. from
// `git archive HEAD src | tar -x -C DIR`) and alternates the two round by round, so both see the
// same machine load; the median CPU ns/row of each is printed, and the median ratio of the pairs.
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { HEADER, row } from './gen.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : args[i + 1];
};
const ROWS = Number(arg('rows', '200000'));
const ROUNDS = Number(arg('rounds', '7'));
const compare = arg('compare', undefined);

const tmp = mkdtempSync(join(tmpdir(), 'map-cells-bench-'));
async function load(tree, name) {
  const outfile = join(tmp, `${name}.mjs`);
  await build({
    entryPoints: [join(tree, 'src/map/index.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    logLevel: 'error',
    nodePaths: [join(root, 'node_modules')],
  });
  return import(pathToFileURL(outfile).href);
}

/** A CSV line split on commas outside quotes (the generator's rows are simple). */
function cells(line) {
  const out = [];
  let cur = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

const header = HEADER.split(',');
const rows = Array.from({ length: ROWS }, (_, i) => cells(row(i)));
// The same rows with the US numbers written nationally (no +1), read with --default-country US:
// the path the per-row country and the international fallback sit on.
const national = rows.map((r) => {
  const v = r.slice();
  v[2] = v[2].replace(/^\+1 /, '');
  return v;
});

const trees = [{ name: 'current', map: await load(root, 'current') }];
if (compare !== undefined) trees.push({ name: 'compare', map: await load(resolve(compare), 'compare') });
rmSync(tmp, { recursive: true, force: true });

const cases = [
  { name: 'international phones', data: rows, options: {} },
  { name: 'national phones, --default-country', data: national, options: { defaultCountry: 'US' } },
];

for (const c of cases) {
  const times = new Map(trees.map((t) => [t.name, []]));
  for (const t of trees) {
    const m = t.map.detectMapping(header);
    t.mapping = m;
    // Warm-up, and a check that every row is valid on both trees (else the figures mean nothing).
    let valid = 0;
    for (const v of c.data) if (t.map.mapRow(v, m, c.options).ok) valid++;
    if (valid !== c.data.length) throw new Error(`${t.name}: ${c.data.length - valid} rows invalid`);
    t.valid = valid;
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const t of r % 2 === 0 ? trees : [...trees].reverse()) {
      // CPU time, not wall time: on a busy machine the process's own time is what it cost.
      const start = process.cpuUsage();
      let ok = 0;
      for (const v of c.data) if (t.map.mapRow(v, t.mapping, c.options).ok) ok++;
      const used = process.cpuUsage(start);
      const ns = (used.user + used.system) * 1000;
      if (ok !== t.valid) throw new Error('unstable');
      times.get(t.name).push(ns / c.data.length);
    }
  }
  if (trees.length === 2) {
    // Rounds are paired (the two trees run back to back), so the ratio of each pair is less
    // disturbed by a busy machine than either median.
    const [a, b] = trees.map((t) => times.get(t.name));
    const ratios = a.map((x, i) => x / b[i]).sort((x, y) => x - y);
    console.log(`${c.name.padEnd(38)} current/compare, median of paired rounds: ${ratios[Math.floor(ratios.length / 2)].toFixed(3)}`);
  }
  for (const t of trees) {
    const sorted = times.get(t.name).slice().sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    console.log(`${c.name.padEnd(38)} ${t.name.padEnd(8)} median ${median.toFixed(0).padStart(5)} ns/row  (min ${sorted[0].toFixed(0)}, ${t.valid}/${c.data.length} valid)`);
  }
}

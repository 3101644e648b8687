// The state store's targets (issue 13), measured end to end: the built CLI against the stand-in,
// each in its own process, at N rows. Prints a markdown table on stdout (progress on stderr).
// Never part of the unit tests. See bench/README.md, "Nightly sync".
//
//   node bench/sync.mjs [--rows 100000] [--out FILE] [--concurrency 32] [--pairs 3] [--keep]
//                       [--no-state-rows 10000 | --skip-no-state]
//
// Runs against dist/ (`npm run build` first). Data: /tmp/sync-bench-data/ (reused); everything a
// run writes (state homes, results, journals, summaries): /tmp/sync-bench-<pid>/, removed at the
// end unless --keep.
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { HEADER, dataFile, generate, row } from './gen.mjs';
import { spawnStandin } from './standin-process.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'dist', 'bin.js');
const TIME = '/usr/bin/time';
const INBOX = '407';
const DATA = '/tmp/sync-bench-data';
const WORK = `/tmp/sync-bench-${process.pid}`;
// Public, bench-only credentials for the local stand-in.
const CREDS = { LIVEDESK_API_KEY: 'bench-key', LIVEDESK_API_SECRET: 'bench-secret' };
/** The night's file: every 20th row renamed (5 %), then 5 % new rows. */
const CHANGED_EVERY = 20;

// ---------------------------------------------------------------- options
function parseArgs(argv) {
  const o = { rows: 100_000, out: undefined, concurrency: 32, pairs: 3, skipNoState: false, noStateRows: 10_000, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--rows') o.rows = Number(val().replace(/_/g, '').replace(/k$/i, '000').replace(/m$/i, '000000'));
    else if (a === '--out') o.out = val();
    else if (a === '--concurrency') o.concurrency = Number(val());
    else if (a === '--pairs') o.pairs = Number(val());
    else if (a === '--skip-no-state') o.skipNoState = true;
    else if (a === '--no-state-rows') o.noStateRows = Number(val());
    else if (a === '--keep') o.keep = true;
    else if (a === '-h' || a === '--help') {
      console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split("\n").slice(0, 10).join('\n'));
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  if (!Number.isInteger(o.rows) || o.rows < 1000 || o.rows > 9_000_000) throw new Error('--rows: a whole number from 1000 to 9,000,000');
  if (!Number.isInteger(o.concurrency) || o.concurrency < 1) throw new Error('--concurrency: a positive whole number');
  if (!Number.isInteger(o.pairs) || o.pairs < 1 || o.pairs > 20) throw new Error('--pairs: 1 to 20');
  if (!Number.isInteger(o.noStateRows) || o.noStateRows < 1000) throw new Error('--no-state-rows: a whole number of at least 1000');
  return o;
}

// ---------------------------------------------------------------- small helpers
const fmt = (n, d = 0) => (n === undefined || Number.isNaN(n) ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
const mb = (kb) => (kb === undefined ? '–' : `${fmt(kb / 1024, 0)} MB`);
const sizeName = (n) => (n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}M` : n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n));
const verdict = (ok) => (ok === undefined ? '–' : ok ? 'PASS' : '**MISS**');
const log = (...a) => console.error('[sync-bench]', ...a);
const secs = (ms) => `${fmt(ms / 1000, 1)} s`;

function dirBytes(dir) {
  if (!existsSync(dir)) return 0;
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += statSync(join(e.parentPath ?? e.path, e.name)).blocks * 512;
  }
  return total;
}

function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath ?? e.path, e.name));
}

/** The byStatus difference of two stand-in stats, as "200 × 5,000, 422 × 3". */
function statusDelta(before, after) {
  const out = {};
  for (const [k, v] of Object.entries(after.byStatus)) {
    const d = v - (before.byStatus[k] ?? 0);
    if (d) out[k] = d;
  }
  return out;
}
const showStatus = (s) => Object.entries(s).map(([k, v]) => `${k} × ${fmt(v)}`).join(', ') || 'none';

// ---------------------------------------------------------------- data
/** The first night's file: gen.mjs's rows 0..N-1, the name of every 20th one changed, then 5 % new rows N.. . */
async function nightFile(n) {
  const path = join(DATA, `night-v2-${n}.csv`);
  const changed = Math.ceil(n / CHANGED_EVERY);
  const added = Math.floor(n / CHANGED_EVERY);
  if (!existsSync(path)) {
    const tmp = `${path}.tmp`;
    const out = createWriteStream(tmp);
    let chunk = HEADER + '\n';
    const put = async (line) => {
      chunk += line + '\n';
      if (chunk.length > 1 << 20) {
        if (!out.write(chunk)) await once(out, 'drain');
        chunk = '';
      }
    };
    // A changed name: "Ada Lovelace" → "Ada Lovelace-Night"; email, phone and identifier stay.
    for (let i = 0; i < n; i++) await put(i % CHANGED_EVERY === 0 ? row(i).replace(/^([^,]*),/, '$1-Night,') : row(i));
    for (let i = n; i < n + added; i++) await put(row(i)); // new unique keys (gen.mjs: unique up to 10M)
    out.end(chunk);
    await once(out, 'close');
    renameSync(tmp, path);
  }
  return { path, rows: n + added, changed, added };
}

async function baseFile(n) {
  // gen.mjs's own file when a bench run made it already (same content), else one in DATA.
  const own = dataFile(n);
  if (existsSync(own)) return own;
  mkdirSync(DATA, { recursive: true });
  return (await generate(n, join(DATA, basename(own)))).path;
}

/** row → contact_id of a results file (the first three columns never hold a comma). */
async function idsByRow(path) {
  const ids = new Map();
  const rl = createInterface({ input: createReadStream(path, { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  let first = true;
  for await (const line of rl) {
    if (first) {
      first = false;
      continue;
    }
    const [r, , id] = line.split(',', 3);
    ids.set(r, id);
  }
  return ids;
}

/** Outcome counts of a results file. */
async function outcomesOf(path) {
  const counts = {};
  const rl = createInterface({ input: createReadStream(path, { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  let first = true;
  for await (const line of rl) {
    if (first) {
      first = false;
      continue;
    }
    const kind = line.split(',', 2)[1];
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

// ---------------------------------------------------------------- the stand-in (child process)
async function startStandin() {
  const { child, url } = await spawnStandin(BIN, ['--port', '0', '--inbox-id', INBOX, '--latency', '0'], { ...process.env, ...CREDS });
  const auth = 'Basic ' + Buffer.from(`${CREDS.LIVEDESK_API_KEY}:${CREDS.LIVEDESK_API_SECRET}`).toString('base64');
  return {
    url,
    pid: child.pid,
    stats: async () => (await fetch(`${url}/_standin/stats`)).json(),
    /** Contacts whose name, email, phone or identifier contains q (the API's search, first page). */
    search: async (q) => {
      const res = await fetch(`${url}/api/v2/accounts/contacts?q=${encodeURIComponent(q)}`, { headers: { authorization: auth, accept: 'application/json' } });
      if (!res.ok) throw new Error(`stand-in search ${q}: ${res.status}`);
      return (await res.json()).payload;
    },
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

// ---------------------------------------------------------------- the importer (child process)
const running = new Set(); // process groups of importers still running, to stop on Ctrl-C

/**
 * Runs `node dist/bin.js FILE ARGS` as a user would, under GNU time (peak RSS = ru_maxrss, user and
 * system CPU), with XDG_STATE_HOME set to `stateHome`; killed (its whole process group) after
 * `timeoutMs`. While it runs, /proc/<node>/status is sampled every 100 ms for the split of the
 * resident set into anonymous memory and file-backed pages (the code; the store is read with pread, not mapped).
 */
async function runImporter({ tag, file, args, stateHome, timeoutMs }) {
  const dir = join(WORK, 'out');
  mkdirSync(dir, { recursive: true });
  const p = (ext) => join(dir, `${tag}.${ext}`);
  const [results, failures, summaryPath, rssPath, journal] = [p('results.csv'), p('failures.csv'), p('summary.json'), p('time'), p('journal.jsonl')];
  const cli = [process.execPath, BIN, file, ...args, '--quiet', '--force', '--results', results, '--failures', failures, '--summary', summaryPath];
  if (!args.includes('--dry-run')) cli.push('--journal', journal);
  const useTime = existsSync(TIME);
  const cmd = useTime ? [TIME, '-o', rssPath, '-f', '%M %U %S', ...cli] : cli;
  const env = { ...process.env, ...CREDS, XDG_STATE_HOME: stateHome };
  delete env.LIVEDESK_BASE_URL;
  delete env.LIVEDESK_INBOX_ID;

  const t0 = performance.now();
  const child = spawn(cmd[0], cmd.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  running.add(child.pid);
  let stderr = '';
  child.stdout.on('data', (d) => (stderr = (stderr + d).slice(-20_000)));
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-20_000)));
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, ms: performance.now() - t0 })));

  const mem = { anonKb: 0, fileKb: 0, hwmKb: 0 };
  const sampler = setInterval(() => {
    try {
      // Under GNU time the node process is its only child.
      const pid = useTime ? readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)[0] : child.pid;
      if (!pid) return;
      const st = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(st)?.[1] ?? 0);
      const [anon, filePages, hwm] = [kb('RssAnon'), kb('RssFile'), kb('VmHWM')];
      if (anon + filePages > mem.anonKb + mem.fileKb) Object.assign(mem, { anonKb: anon, fileKb: filePages });
      mem.hwmKb = Math.max(mem.hwmKb, hwm);
    } catch {
      /* not started yet, or gone */
    }
  }, 100);
  let timedOut = false;
  const killer = setTimeout(() => {
    timedOut = true;
    log(`${tag}: still running after ${secs(timeoutMs)}: stopping it`);
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {}
    setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }, 5000).unref();
  }, timeoutMs);
  const { code, signal, ms } = await exited;
  clearTimeout(killer);
  clearInterval(sampler);
  running.delete(child.pid);
  if (timedOut) throw new Error(`importer ${tag} did not finish within ${secs(timeoutMs)}:\n${stderr.slice(-3000)}`);
  if (![0, 1].includes(code)) throw new Error(`importer ${tag} exited ${code ?? signal}:\n${stderr.slice(-3000)}`);
  const summary = JSON.parse(readFileSync(summaryPath, 'utf8'));
  const [maxKb, user, sys] = useTime ? readFileSync(rssPath, 'utf8').trim().split('\n').pop().split(' ').map(Number) : [mem.hwmKb];
  return { code, wallMs: ms, summary, rssKb: maxKb, cpuMs: user === undefined ? undefined : (user + sys) * 1000, mem, results, failures, journal, stderr };
}

/** Runs the importer and reads the stand-in's counters around it. */
async function measured(standin, run) {
  const before = await standin.stats();
  const r = await runImporter(run);
  const after = await standin.stats();
  return { ...r, requests: after.requests - before.requests, creates: after.creates - before.creates, byStatus: statusDelta(before, after) };
}

const dropOutputs = (r) => {
  for (const f of [r.results, r.journal]) rmSync(f, { force: true });
};

// ---------------------------------------------------------------- main
async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!existsSync(BIN)) throw new Error('dist/bin.js is missing: run `npm run build` first');
  const started = performance.now();
  const loadStart = loadavg()[0];
  const N = opts.rows;
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${fmt(totalmem() / 2 ** 30, 0)} GB RAM, ${platform()} ${release()}, Node ${process.versions.node}`;
  log(machine);
  const help = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
  for (const flag of ['--no-state', '--full', '--on-existing', '--quiet', '--journal']) {
    if (!(help.stdout + help.stderr).includes(flag)) throw new Error(`this build of the CLI has no ${flag}: rebuild (npm run build)`);
  }

  mkdirSync(DATA, { recursive: true });
  const file = await baseFile(N);
  const night = await nightFile(N);
  log(`data: ${file} (${fmt(N)} rows), ${night.path} (${fmt(night.rows)} rows: ${fmt(night.changed)} renamed, ${fmt(night.added)} new)`);

  // Generous bounds, so that the bench always stops: 2 min + 3 ms a row for any one run.
  const timeoutMs = 120_000 + 3 * N;
  const rows = [];
  const notes = [];
  const add = (r) => rows.push(r); // printed in the brief's order (1, 2, 3, 4, 5), whatever order they ran in
  const sz = sizeName(N);

  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  const homes = { sync: join(WORK, 'state-sync'), noState: join(WORK, 'state-no-state') };
  for (const h of Object.values(homes)) mkdirSync(h, { recursive: true });

  const standin = await startStandin();
  const extraStandins = new Set();
  let stopping = false;
  const stopAll = async () => {
    for (const pgid of running) {
      try {
        process.kill(-pgid, 'SIGTERM');
      } catch {}
    }
    await Promise.all([standin, ...extraStandins].map((s) => s.stop()));
  };
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
    process.once(sig, () => {
      if (stopping) return;
      stopping = true;
      void stopAll().then(() => process.exit(code));
    });
  }
  log(`stand-in (pid ${standin.pid}) at ${standin.url}, latency 0`);
  const live = ['--inbox-id', INBOX, '--base-url', standin.url, '--rate', '10000', '--concurrency', String(opts.concurrency)];

  try {
    // ---------------- 1. first import: every row created, the store records LiveDesk's answers
    log(`1. first import of ${sz} rows (state home ${homes.sync})`);
    const first = await measured(standin, { tag: 'first', file, args: live, stateHome: homes.sync, timeoutMs });
    const storeBytes = dirBytes(homes.sync);
    const firstOk = first.summary.created === N && first.summary.failed === 0;
    const firstRate = N / (first.summary.durationMs / 1000);
    log(`   ${fmt(first.requests)} requests, ${fmt(first.summary.created)} created, ${fmt(firstRate)} rows/s; store ${mb(storeBytes / 1024)} on disk`);
    add({
      measure: '1. first import (records the store)',
      rows: sz,
      result: `${fmt(first.requests)} requests (${fmt(first.requests / N, 3)} a row), ${fmt(first.summary.created)} created, ${first.summary.failed} failed; ${fmt(firstRate)} rows/s (${secs(first.summary.durationMs)}); peak RSS ${mb(first.rssKb)}${first.mem.anonKb + first.mem.fileKb > 0 ? ` (largest /proc sample: ${mb(first.mem.anonKb)} anonymous + ${mb(first.mem.fileKb)} file-backed)` : ''}; store ${mb(storeBytes / 1024)} on disk`,
      target: `every row created, 1 request a row`,
      ok: firstOk && first.requests === N,
    });
    if (!firstOk) throw new Error(`first import: ${first.summary.created} created, ${first.summary.failed} failed of ${N}: the later scenarios would mean nothing`);
    const firstIds = await idsByRow(first.results);
    dropOutputs(first);

    // ---------------- 2. dry run (reference, no store), then the unchanged rerun
    // Rows/s on a 2-core machine move by tens of percent from one run to the next, so the ratio is
    // taken over --pairs pairs (default 3), each a dry run right before an unchanged rerun, and
    // the median pair is the verdict. The first rerun is the one checked row by row.
    log(`2. ${opts.pairs} × (dry run --no-state, then the unchanged rerun)`);
    const pairs = [];
    let rerun;
    let rerunIds;
    let rerunOutcomes;
    let rerunRequests = 0;
    let rerunRssKb = 0;
    for (let p = 0; p < opts.pairs; p++) {
      await sleep(1000);
      const d = await measured(standin, { tag: `dry-${p}`, file, args: ['--dry-run', '--no-state'], stateHome: homes.sync, timeoutMs });
      await sleep(1000);
      const r = await measured(standin, { tag: `rerun-${p}`, file, args: live, stateHome: homes.sync, timeoutMs });
      rerunRequests += r.requests;
      rerunRssKb = Math.max(rerunRssKb, r.rssKb ?? 0);
      if (p === 0) {
        rerun = r;
        rerunIds = await idsByRow(r.results);
        rerunOutcomes = await outcomesOf(r.results);
      }
      dropOutputs(r);
      const pair = { dry: d, rerun: r, dryRate: N / (d.summary.durationMs / 1000), rerunRate: N / (r.summary.durationMs / 1000) };
      pair.ratio = pair.rerunRate / pair.dryRate;
      pair.wallRatio = d.wallMs / r.wallMs;
      pair.cpuRatio = d.cpuMs !== undefined && r.cpuMs !== undefined ? d.cpuMs / r.cpuMs : NaN;
      pairs.push(pair);
      log(`   pair ${p + 1}: dry ${fmt(pair.dryRate)} rows/s, rerun ${fmt(pair.rerunRate)} rows/s (${fmt(r.requests)} requests, ${fmt(r.summary.unchanged)} unchanged): ratio ${fmt(pair.ratio, 2)}, peak RSS ${mb(r.rssKb)}`);
    }
    const median = [...pairs].sort((x, y) => x.ratio - y.ratio)[Math.floor(pairs.length / 2)];
    const { dry } = median;
    const rs = rerun.summary;
    const perRow = rerun.requests / N;
    // Every row listed with the same contact ID as the first run.
    let sameIds = 0;
    for (const [r, id] of firstIds) if (rerunIds.get(r) === id && id !== '') sameIds++;
    log(`   first rerun: ${fmt(rerun.requests)} requests, same IDs ${fmt(sameIds)}/${fmt(N)}; median ratio ${fmt(median.ratio, 2)}`);
    const extra = (r, outcomes) =>
      r.requests === 0 ? '' : ` (answers: ${showStatus(r.byStatus)}; ${fmt(r.creates)} stored as new; outcomes ${Object.entries(outcomes).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')})`;
    add({
      measure: '2a. unchanged rerun: requests per row',
      rows: sz,
      result: `${fmt(rerun.requests)} requests = ${fmt(perRow, 4)} a row${extra(rerun, rerunOutcomes)}; ${fmt(rs.unchanged)} unchanged, ${rs.created} created, ${rs.existing} existing, ${rs.failed} failed; ${fmt(sameIds)} of ${fmt(N)} rows listed with the first run's contact ID${pairs.length > 1 ? `; all ${pairs.length} reruns: ${fmt(rerunRequests)} requests` : ''}`,
      target: '≤ 0.01, same IDs',
      ok: perRow <= 0.01 && sameIds === N && rs.unchanged === N && rerunRequests <= 0.01 * N * pairs.length,
    });
    const cpu = (r) => (r.cpuMs === undefined ? '' : `, CPU ${secs(r.cpuMs)}`);
    add({
      measure: `2b. unchanged rerun vs a dry run right before (rows/s), median of ${pairs.length} pair${pairs.length === 1 ? '' : 's'}`,
      rows: sz,
      result:
        `rerun ${fmt(median.rerunRate)} rows/s (${secs(median.rerun.summary.durationMs)}, wall ${secs(median.rerun.wallMs)}${cpu(median.rerun)}); ` +
        `dry run --no-state ${fmt(median.dryRate)} rows/s (${secs(dry.summary.durationMs)}, wall ${secs(dry.wallMs)}${cpu(dry)}); ` +
        `ratio ${fmt(median.ratio, 2)} (wall ${fmt(median.wallRatio, 2)}, CPU time ${fmt(median.cpuRatio, 2)})` +
        (pairs.length > 1 ? `; every pair's ratio: ${pairs.map((x) => fmt(x.ratio, 2)).join(', ')}` : ''),
      target: '≥ 0.5',
      ok: median.ratio >= 0.5,
    });
    add({
      measure: '2c. unchanged rerun: peak RSS (GNU time %M)',
      rows: sz,
      result: `${mb(rerunRssKb)} (largest of the ${pairs.length} reruns)${rerun.mem.anonKb + rerun.mem.fileKb > 0 ? `; first rerun at its largest /proc sample: ${mb(rerun.mem.anonKb)} anonymous + ${mb(rerun.mem.fileKb)} file-backed (the code: the store is read with pread)` : ''}; dry run ${mb(dry.rssKb)}`,
      target: '< 200 MB (issue: at 1M)',
      ok: N >= 1_000_000 ? rerunRssKb < 200 * 1024 : rerunRssKb < 200 * 1024 || undefined,
    });

    // ---------------- dry run with the store: what it would do, no network
    const dryStore = await measured(standin, { tag: 'dry-store', file: night.path, args: ['--dry-run', '--inbox-id', INBOX, '--base-url', standin.url], stateHome: homes.sync, timeoutMs });
    const ds = dryStore.summary;
    const wouldNew = ds.valid - ds.unchanged - ds.wouldUpdate;
    add({
      measure: "2d. dry run of the night's file with the store (no network)",
      rows: sizeName(night.rows),
      result: `${fmt(ds.unchanged)} unchanged, ${fmt(ds.wouldUpdate)} would be updated, ${fmt(wouldNew)} not known; ${fmt(dryStore.requests)} requests; ${fmt(night.rows / (ds.durationMs / 1000))} rows/s`,
      target: `${fmt(N - night.changed)} / ${fmt(night.changed)} / ${fmt(night.added)}, 0 requests`,
      ok: ds.unchanged === N - night.changed && ds.wouldUpdate === night.changed && wouldNew === night.added && dryStore.requests === 0,
    });

    // ---------------- 4. the unchanged rerun without the store, for contrast
    // The stand-in's search is a linear scan of every contact (as Chatwoot's ILIKE search), and
    // without the store every row of a rerun costs a POST answered 422 plus a search: at N rows
    // that is N searches over N contacts, hours at 1M. So the contrast runs on the first K rows
    // (--no-state-rows, default 10,000) in a second stand-in holding only those K: the cost per
    // row is the same by construction (2 requests), only the stand-in's time differs.
    if (!opts.skipNoState) {
      const K = Math.min(N, opts.noStateRows);
      const kFile = await baseFile(K);
      log(`4. unchanged rerun of ${sizeName(K)} rows with --no-state (a second stand-in, fresh state home)`);
      const other = await startStandin();
      extraStandins.add(other);
      try {
        const kLive = ['--inbox-id', INBOX, '--base-url', other.url, '--rate', '10000', '--concurrency', String(opts.concurrency), '--no-state'];
        const seed = await measured(other, { tag: 'no-state-first', file: kFile, args: kLive, stateHome: homes.noState, timeoutMs });
        dropOutputs(seed);
        if (seed.summary.created !== K) throw new Error(`--no-state first import: ${seed.summary.created} created of ${K}`);
        await sleep(1000);
        const ns = await measured(other, { tag: 'no-state', file: kFile, args: kLive, stateHome: homes.noState, timeoutMs });
        const left = filesUnder(homes.noState);
        const nsOutcomes = await outcomesOf(ns.results);
        dropOutputs(ns);
        log(`   ${fmt(ns.requests)} requests (${fmt(ns.requests / K, 2)} a row), ${fmt(K / (ns.summary.durationMs / 1000))} rows/s`);
        add({
          measure: '4. unchanged rerun with --no-state: requests per row',
          rows: sizeName(K) + (K < N ? ' (first rows of the file, own stand-in)' : ' (own stand-in)'),
          result: `${fmt(ns.requests)} requests = ${fmt(ns.requests / K, 2)} a row (answers: ${showStatus(ns.byStatus)}); outcomes ${Object.entries(nsOutcomes).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}; ${fmt(K / (ns.summary.durationMs / 1000))} rows/s (${secs(ns.summary.durationMs)}, the stand-in's linear search dominates); files written to its state home by its import and rerun: ${left.length}`,
          target: "today's 2.0; nothing written",
          ok: left.length === 0 ? undefined : false,
        });
      } finally {
        await other.stop();
        extraStandins.delete(other);
      }
    }

    // ---------------- 3. the night: 5 % renamed, 5 % new, --on-existing update
    log(`3. the night: ${fmt(night.changed)} renamed, ${fmt(night.added)} new, --on-existing update`);
    await sleep(1000);
    const nt = await measured(standin, { tag: 'night', file: night.path, args: [...live, '--on-existing', 'update'], stateHome: homes.sync, timeoutMs });
    const s = nt.summary;
    const ntOutcomes = await outcomesOf(nt.results);
    dropOutputs(nt);
    const nightPerRow = nt.requests / night.rows;
    // LiveDesk has the new names: a sample of the renamed contacts, looked up by identifier.
    const sample = [];
    for (let i = 0; i < N && sample.length < 20; i += Math.max(CHANGED_EVERY, Math.floor(N / 20 / CHANGED_EVERY) * CHANGED_EVERY)) sample.push(i);
    let renamedSeen = 0;
    for (const i of sample) {
      const [name, , , identifier] = row(i).split(',', 4);
      const found = await standin.search(identifier);
      if (found.length === 1 && found[0].name === `${name}-Night`) renamedSeen++;
    }
    const expected = night.changed + night.added;
    log(`   ${fmt(nt.requests)} requests (${fmt(nightPerRow, 4)} a row): ${fmt(s.updated)} updated, ${fmt(s.created)} created, ${fmt(s.unchanged)} unchanged`);
    add({
      measure: '3a. a night with 5 % changed and 5 % new rows, --on-existing update: requests per row',
      rows: sizeName(night.rows),
      result:
        `${fmt(nt.requests)} requests = ${fmt(nightPerRow, 4)} a row (answers: ${showStatus(nt.byStatus)}; ${fmt(nt.creates)} stored as new); ` +
        `outcomes: ${fmt(s.updated)} updated, ${fmt(s.created)} created, ${fmt(s.unchanged)} unchanged, ${fmt(s.existing)} existing, ${s.failed} failed` +
        (nt.requests > expected ? ` — **${fmt(nt.requests - expected)} more requests than changed + new rows**; results file: ${Object.entries(ntOutcomes).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}` : '') +
        `; ${renamedSeen} of ${sample.length} sampled renamed contacts carry the new name in the stand-in; ${fmt(night.rows / (s.durationMs / 1000))} rows/s`,
      target: `≤ 0.11 (${fmt(night.changed)} updated, ${fmt(night.added)} created, ${fmt(N - night.changed)} unchanged)`,
      ok: nightPerRow <= 0.11 && s.updated === night.changed && s.created === night.added && s.unchanged === N - night.changed && s.failed === 0 && renamedSeen === sample.length,
    });

    // ---------------- the next night: the same file again costs nothing (the night's answers are in the store)
    await sleep(500);
    const again = await measured(standin, { tag: 'night-again', file: night.path, args: [...live, '--on-existing', 'update'], stateHome: homes.sync, timeoutMs });
    const againOutcomes = await outcomesOf(again.results);
    dropOutputs(again);
    add({
      measure: "3b. the night's file once more (the night's answers are in the store)",
      rows: sizeName(night.rows),
      result: `${fmt(again.requests)} requests = ${fmt(again.requests / night.rows, 4)} a row${extra(again, againOutcomes)}; ${fmt(again.summary.unchanged)} unchanged; ${fmt(night.rows / (again.summary.durationMs / 1000))} rows/s; peak RSS ${mb(again.rssKb)}`,
      target: '≤ 0.01',
      ok: again.requests / night.rows <= 0.01 && again.summary.unchanged === night.rows,
    });

    add({
      measure: '5. store open time at 1M known contacts',
      rows: '1M',
      result: 'not measured here: `node bench/state-store.mjs` (docs/state-store.md)',
      target: '< 2 s',
      ok: undefined,
    });
  } finally {
    stopping = true;
    await stopAll();
    if (!opts.keep) rmSync(WORK, { recursive: true, force: true });
    else log(`kept ${WORK}`);
  }

  const took = (performance.now() - started) / 1000;
  const lines = [
    `Machine: ${machine}. Stand-in latency 0, importer --rate 10000 --concurrency ${opts.concurrency}. Load average ${fmt(loadStart, 2)} at start, ${fmt(loadavg()[0], 2)} at end. Took ${fmt(took)} s.`,
    '',
    '| measure | rows | result | target | verdict |',
    '|---|---|---|---|---|',
    ...[...rows].sort((a, b) => a.measure.localeCompare(b.measure, 'en', { numeric: true })).map((r) => `| ${r.measure} | ${r.rows} | ${r.result} | ${r.target} | ${verdict(r.ok)} |`),
  ];
  if (notes.length > 0) lines.push('', ...notes.map((n) => `- ${n}`));
  const md = lines.join('\n') + '\n';
  process.stdout.write('\n' + md);
  if (opts.out) writeFileSync(opts.out, md);
}

main().catch((e) => {
  console.error(`[sync-bench] failed: ${e.stack ?? e}`);
  process.exitCode = 1;
});

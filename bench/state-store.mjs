// The state store at scale (issue 13): write N known contacts, reopen, look up every row's three
// keys as an unchanged rerun does, and report open time, µs a row, write throughput, file size and
// resident memory. Prints a markdown table on stdout (progress on stderr); asserts nothing.
//
//   node bench/state-store.mjs                      1,000,000 contacts in a fresh temp folder
//   node bench/state-store.mjs --contacts 100000    a smaller run
//   node bench/state-store.mjs --dir /tmp/state-x --keep     keep the store afterwards
//
// Each phase runs in a process of its own (so its memory is its own): `write` records N contacts
// through StateStore.record(), committing every 10,000 (as a run commits as it goes); `rerun`
// opens the store in a fresh process, then for every row finds its identifier, email and phone
// (the email in another case), checks that all three name the right contact, marks it seen, then
// asks how many were not seen (the last 1 % are left unmarked) and looks up 100,000 unknown rows;
// `update` re-records 5 % of the contacts with a new fingerprint and a moved email.
// The store module is compiled from src/state/store.ts with esbuild into the bench folder (no
// build of the CLI needed).
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const SCOPE = { baseUrl: 'https://desk.example.com', apiKey: 'bench-key', inboxId: 7 };

// ── the rows ─────────────────────────────────────────────────────────────────────────────────
const FIRST = ['ada', 'grace', 'alan', 'amelia', 'chidi', 'sofia', 'mateo', 'yuki', 'priya', 'lars'];
const LAST = ['lovelace', 'hopper', 'turing', 'okafor', 'garcia', 'rossi', 'tanaka', 'patel'];
/** Contact i: a LiveDesk-like integer ID, a customer ID, an email and an E.164 phone. */
function contact(i, salt = 0) {
  const h = Math.imul(i + 1, 2654435761) >>> 0;
  return {
    id: String(1_000_000 + i * 3),
    // a 22-character hash, as a base64url SHA-256 prefix would be
    fingerprint: (h.toString(36) + (salt + h * 7).toString(36) + 'fingerprintpadding').slice(0, 22),
    identifier: `CUST-${(i + 1).toString().padStart(8, '0')}`,
    email: `${FIRST[h % 10]}.${LAST[(h >>> 4) % 8]}.${i}@example${i % 50}.com`,
    phone_number: `+1${2_000_000_000 + i}`,
  };
}

const mb = (bytes) => `${(bytes / 1048576).toFixed(1)} MB`;
function memory() {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { hwm: kb('VmHWM'), rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile'), heap: process.memoryUsage().heapUsed };
}

// ── child phases ─────────────────────────────────────────────────────────────────────────────
async function child(phase, dir, n) {
  const { StateStore } = await import(pathToFileURL(join(dir, 'store.mjs')).href);
  const base = memory();
  const out = { base };
  if (phase === 'write') {
    const t0 = performance.now();
    const store = await StateStore.open(join(dir, 'store') + '/', SCOPE);
    for (let i = 0; i < n; i++) {
      store.record(contact(i));
      if ((i + 1) % 10_000 === 0) await store.commit();
    }
    await store.commit();
    out.ms = performance.now() - t0;
    out.count = store.count();
    out.beforeClose = memory();
    const tc = performance.now();
    await store.close();
    out.closeMs = performance.now() - tc;
  } else if (phase === 'rerun') {
    const t0 = performance.now();
    const store = await StateStore.open(join(dir, 'store') + '/', SCOPE);
    out.openMs = performance.now() - t0;
    out.count = store.count();
    out.afterOpen = memory();
    // The bench's own part of the loop (making the row's keys), timed alone to be subtracted.
    const t0g = performance.now();
    let sink = 0;
    for (let i = 0; i < n; i++) {
      const c = contact(i);
      sink += c.identifier.length + c.email.toUpperCase().length + c.phone_number.length + c.id.length + c.fingerprint.length;
    }
    out.genMs = performance.now() - t0g;
    out.sink = sink;
    let wrong = 0;
    const seenUpTo = Math.floor(n * 0.99);
    const t1 = performance.now();
    for (let i = 0; i < n; i++) {
      const c = contact(i);
      const found = store.find({ identifier: c.identifier, email: c.email.toUpperCase(), phone_number: c.phone_number });
      const id = found.identifier?.id;
      if (id !== c.id || found.email?.id !== id || found.phone_number?.id !== id || found.identifier.fingerprint !== c.fingerprint) wrong++;
      if (i < seenUpTo) store.markSeen(id);
    }
    out.lookupMs = performance.now() - t1;
    out.wrong = wrong;
    out.afterLookups = memory();
    globalThis.gc?.();
    out.afterGc = memory();
    const t2 = performance.now();
    out.unseen = store.unseenCount();
    out.unseenMs = performance.now() - t2;
    const t2m = performance.now();
    out.saved = await store.saveMissing();
    out.saveMissingMs = performance.now() - t2m;
    const misses = Math.min(100_000, n);
    const t3 = performance.now();
    let hits = 0;
    for (let i = n; i < n + misses; i++) {
      const c = contact(i);
      const found = store.find({ identifier: c.identifier, email: c.email, phone_number: c.phone_number });
      if (found.identifier || found.email || found.phone_number) hits++;
    }
    out.missUs = ((performance.now() - t3) * 1000) / misses;
    out.missHits = hits;
    out.beforeClose = memory();
    await store.close();
  } else if (phase === 'update') {
    const store = await StateStore.open(join(dir, 'store') + '/', SCOPE);
    const k = Math.floor(n / 20);
    const t0 = performance.now();
    for (let j = 0; j < k; j++) {
      const i = j * 20;
      const c = contact(i, 1);
      store.record({ ...c, email: `moved.${c.email}` });
      if ((j + 1) % 10_000 === 0) await store.commit();
    }
    await store.commit();
    out.ms = performance.now() - t0;
    out.updates = k;
    out.count = store.count();
    const tc = performance.now();
    await store.close();
    out.closeMs = performance.now() - tc;
  }
  out.end = memory();
  out.maxRss = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(JSON.stringify(out));
}

// ── the parent ───────────────────────────────────────────────────────────────────────────────
async function main() {
  const n = Number(String(arg('contacts', '1000000')).replace(/_/g, ''));
  const dir = arg('dir', join(tmpdir(), `state-bench-${process.pid}`));
  const keep = args.includes('--keep');
  rmSync(join(dir, 'store'), { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(root, 'src/state/store.ts')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outfile: join(dir, 'store.mjs'),
    logLevel: 'warning',
  });
  const run = (phase) => {
    process.stderr.write(`state-store bench: ${phase} (${n.toLocaleString('en')} contacts)…\n`);
    const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', phase, dir, String(n)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 20,
    });
    if (r.status !== 0) throw new Error(`${phase} failed (exit ${r.status})`);
    return JSON.parse(r.stdout);
  };
  const write = run('write');
  const storeDir = join(dir, 'store');
  const files = readdirSync(storeDir).map((f) => join(storeDir, f));
  const size = files.filter((f) => f.endsWith('.store')).reduce((s, f) => s + statSync(f).size, 0);
  const rerun = run('rerun');
  const update = run('update');
  const sizeAfter = files.filter((f) => f.endsWith('.store')).reduce((s, f) => s + statSync(f).size, 0);
  const rerun2 = run('rerun');

  const usRow = (r) => (((r.lookupMs - r.genMs) * 1000) / n).toFixed(2);
  const rows = [
    ['contacts', n.toLocaleString('en'), ''],
    ['write: record() + commit every 10k', `${Math.round(n / (write.ms / 1000)).toLocaleString('en')} contacts/s`, `${(write.ms / 1000).toFixed(1)} s in all, the merges on the way included; then close() (the last merge): ${(write.closeMs / 1000).toFixed(1)} s`],
    ['file size', mb(size), `${Math.round(size / n)} bytes a contact; ${mb(sizeAfter)} after the updates`],
    ['open (fresh process)', `${rerun.openMs.toFixed(1)} ms`, `count() = ${rerun.count.toLocaleString('en')} at open`],
    ['rerun look-up: find(3 keys) + markSeen', `${usRow(rerun)} µs a row`, `the store's part (${((rerun.lookupMs * 1000) / n).toFixed(2)} µs with the bench making the keys); wrong answers: ${rerun.wrong}`],
    ['look-up of unknown rows (3 misses)', `${rerun.missUs.toFixed(2)} µs a row`, `false hits: ${rerun.missHits}`],
    ['unseenCount()', `${rerun.unseenMs.toFixed(0)} ms`, `${rerun.unseen.toLocaleString('en')} unseen (expected ${(n - Math.floor(n * 0.99)).toLocaleString('en')})`],
    ['saveMissing() (the list for `state export --missing`)', `${rerun.saveMissingMs.toFixed(0)} ms`, `${rerun.saved.toLocaleString('en')} listed`],
    ['update 5 % (new fingerprint, email moved)', `${Math.round(update.updates / (update.ms / 1000)).toLocaleString('en')} contacts/s`, `${update.updates.toLocaleString('en')} records; close() merging them into a new base: ${(update.closeMs / 1000).toFixed(1)} s`],
    ['rerun after the updates', `${usRow(rerun2)} µs a row`, `wrong answers: ${rerun2.wrong} (expected ${update.updates.toLocaleString('en')}: their email moved)`],
    ['rerun process: peak RSS (VmHWM = ru_maxrss)', mb(rerun.end.hwm), `node alone before open: ${mb(rerun.base.rss)}`],
    ['… after the look-ups: anonymous (RssAnon)', mb(rerun.afterLookups.anon), `+${mb(rerun.afterLookups.anon - rerun.base.anon)} since before open (heap, the store's buffers and sparse index, the seen set, garbage); after a full GC: +${mb(rerun.afterGc.anon - rerun.base.anon)}, heap ${mb(rerun.afterGc.heap)}`],
    ['… after the look-ups: file-backed (RssFile)', mb(rerun.afterLookups.file), `+${mb(rerun.afterLookups.file - rerun.base.file)} since before open (the store is read with pread: its pages are in the page cache, not mapped)`],
    ['write process: peak RSS', mb(write.end.hwm), `RssAnon at the end ${mb(write.end.anon)}`],
  ];
  const lines = ['| measure | value | notes |', '|---|---|---|', ...rows.map((r) => `| ${r.join(' | ')} |`)];
  process.stdout.write(`${lines.join('\n')}\n`);
  process.stderr.write(`node ${process.version}, ${n.toLocaleString('en')} contacts, folder ${dir}\n`);
  if (!keep) rmSync(dir, { recursive: true, force: true });
}

if (args[0] === '--child') await child(args[1], args[2], Number(args[3]));
else await main();

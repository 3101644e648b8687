// Soak test (issue 4): N rows through every fault at once — 5xx, resets before and after the
// contact is stored, hangs after storing, latency, a server rate limit below --rate — with the
// importer killed (-9) at K random moments and resumed each time. Then it checks the end state:
// every input row exactly once across results and failures, each valid row's contact stored
// exactly once, the results' IDs exactly the server's, nothing failed that a retry could save.
//
//   node scripts/soak.mjs [--rows 20000] [--kills 5] [--seed 1]      (after npm run build)
// Exit 0 when every check holds; the report is printed either way.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { startStandin } from '../dist/standin/server.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const ROWS = arg('rows', 20000);
const KILLS = arg('kills', 5);
let seed = arg('seed', 1);
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const INVALID_EVERY = 500;
const RATE_LIMIT = Math.max(20, arg('limit', 150));

const dir = mkdtempSync(join(tmpdir(), 'ldi-soak-'));
const input = join(dir, 'contacts.csv');
const lines = ['Full Name,Email,Phone,External ID'];
for (let i = 1; i <= ROWS; i++) {
  const email = i % INVALID_EVERY === 0 ? `broken-email-${i}` : `soak${i}@example.com`;
  lines.push(`Soak Person ${i},${email},+1646${2000000 + i},soak-${i}`);
}
writeFileSync(input, lines.join('\n') + '\n');
const invalidRows = Math.floor(ROWS / INVALID_EVERY);

const standin = await startStandin({
  port: 0,
  apiKey: 'soak-key',
  apiSecret: 'soak-secret',
  inboxIds: [407],
  rateLimit: RATE_LIMIT,
  seed: 42,
  faults: { errorRate: 0.05, resetBeforeRate: 0.03, resetAfterRate: 0.03, hangAfterRate: 0.02, latencyMs: 5, latencyJitterMs: 20 },
});
const args = [join(root, 'dist', 'bin.js'), input, '--inbox-id', '407', '--base-url', standin.url, '--rate', String(Math.round(RATE_LIMIT * 1.5)), '--concurrency', '16', '--timeout', '800', '--retries', '12', '--max-consecutive-failures', '0'];
// The state store lives with the soak's files: its stand-in's port is new every time.
const env = { ...process.env, LIVEDESK_API_KEY: 'soak-key', LIVEDESK_API_SECRET: 'soak-secret', XDG_STATE_HOME: join(dir, 'state') };

function run(extra, killAfterMs) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...args, ...extra], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

// A kill before the run wrote its journal leaves nothing to resume (and nothing was sent): the
// next run starts afresh, as the importer's own message tells a person to.
const again = () => (existsSync(join(dir, 'contacts.journal.jsonl')) ? ['--resume'] : ['--force']);
const started = Date.now();
const expectedSeconds = ROWS / RATE_LIMIT;
const log = [];
let result = await run([], (0.1 + random() * 0.15) * expectedSeconds * 1000);
log.push(`run 1: ${result.signal ?? `exit ${result.code}`}`);
for (let k = 1; k < KILLS && result.signal === 'SIGKILL'; k++) {
  result = await run(again(), (0.1 + random() * 0.15) * expectedSeconds * 1000);
  log.push(`resume ${k}: ${result.signal ?? `exit ${result.code}`}`);
}
let last = result;
while (last.signal === 'SIGKILL' || last.code === 3) {
  last = await run([...again(), '--summary', join(dir, 'summary.json')]);
  log.push(`final resume: ${last.signal ?? `exit ${last.code}`}`);
}
if (!log.at(-1).startsWith('final')) {
  last = await run([...again(), '--summary', join(dir, 'summary.json')]);
  log.push(`final resume: exit ${last.code}`);
}

const read = (p) => {
  const [header, ...rows] = parse(readFileSync(p), { bom: true });
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
};
const results = read(join(dir, 'contacts.results.csv'));
const failures = read(join(dir, 'contacts.failures.csv'));
const stored = standin.contacts();
const stats = standin.stats();
await standin.close();
const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));

const seen = [...results.map((r) => r.row), ...failures.map((r) => r._row)];
const checks = {
  'every input row exactly once across results and failures': seen.length === ROWS && new Set(seen).size === ROWS,
  'failures are only the invalid rows': failures.length === invalidRows && failures.every((f) => f._error === 'invalid_email'),
  'each valid contact stored exactly once': stored.length === ROWS - invalidRows && new Set(stored.map((c) => c.email)).size === stored.length,
  "results' IDs are exactly the server's": JSON.stringify(results.map((r) => r.contact_id).sort()) === JSON.stringify(stored.map((c) => String(c.id)).sort()),
  'summary adds up': summary.rows === ROWS && summary.created + summary.existing + summary.updated + summary.failed + summary.skipped + summary.notSent === summary.rows,
  'final run exit 1 (only the invalid rows failed)': last.code === 1,
};
console.log(`soak: ${ROWS} rows, ${KILLS} kill -9s, server limit ${RATE_LIMIT}/s, faults 5% 5xx, 3% reset-before, 3% reset-after, 2% hang-after, 5–25 ms latency`);
console.log(log.join('; '));
console.log(`server: ${stats.requests} requests, ${stats.rateLimited} answered 429, ${stats.resets} resets, ${stats.hangs} hangs; ${stored.length} contacts stored`);
console.log(`outputs: ${results.length} results (${results.filter((r) => r.outcome === 'existing').length} existing), ${failures.length} failures; ${((Date.now() - started) / 1000).toFixed(1)} s`);
let ok = true;
for (const [name, pass] of Object.entries(checks)) {
  console.log(`${pass ? 'PASS' : 'FAIL'}  ${name}`);
  ok &&= pass;
}
if (ok) rmSync(dir, { recursive: true, force: true });
else console.log(`files kept in ${dir}`);
process.exitCode = ok ? 0 : 1;

// The live import's ceiling: raw undici Pool POSTs of the same bodies, at the same concurrency
// (connections = concurrency), to the same stand-in: no CSV, no queue, no pacing, no retry. Each
// answer's body is read (the importer needs it). Run as a child process, like the importer.
// Prints one JSON line: {"n", "ms", "byStatus", "p50", "p99"} (latency per request, client side).
//   node bench/ceiling-undici.mjs BASE_URL COUNT CONCURRENCY [FIRST_ROW]
// Credentials come from LIVEDESK_API_KEY / LIVEDESK_API_SECRET, as for the importer.
import { Pool } from 'undici';
import { body } from './gen.mjs';

const [baseUrl, countArg, concArg, firstArg = '0'] = process.argv.slice(2);
const count = Number(countArg);
const concurrency = Number(concArg);
const first = Number(firstArg);
const bodies = Array.from({ length: count }, (_, i) => body(first + i));
const authorization = 'Basic ' + Buffer.from(`${process.env.LIVEDESK_API_KEY}:${process.env.LIVEDESK_API_SECRET}`).toString('base64');
const headers = { authorization, accept: 'application/json', 'content-type': 'application/json' };
const pool = new Pool(new URL(baseUrl).origin, { connections: concurrency, keepAliveTimeout: 30_000 });
const latency = new Float64Array(count);
const byStatus = {};
let next = 0;

async function worker() {
  while (next < count) {
    const i = next++;
    const t0 = performance.now();
    const res = await pool.request({ method: 'POST', path: '/api/v2/accounts/contacts', headers, body: bodies[i] });
    await res.body.text();
    latency[i] = performance.now() - t0;
    byStatus[res.statusCode] = (byStatus[res.statusCode] ?? 0) + 1;
  }
}

const started = performance.now();
await Promise.all(Array.from({ length: concurrency }, worker));
const ms = performance.now() - started;
await pool.close();
latency.sort();
const pct = (q) => latency[Math.min(count - 1, Math.floor(q * count))];
process.stdout.write(JSON.stringify({ n: count, ms, byStatus, p50: pct(0.5), p99: pct(0.99) }) + '\n');

// Time to first request, repeated: the bench measures it once per size, inside a full import; this
// spawns the importer N times on a file, the bench's way (spawn → the stand-in counts a request,
// polled every 5 ms), stops each run with SIGINT once its first request is in, and prints the
// median. It also times `--help` (wall, CPU, peak RSS) as the cost of start-up alone.
//   node bench/first-request.mjs FILE [runs=7]
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'dist', 'bin.js');
const [file, runsArg = '7'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/first-request.mjs FILE [runs=7]');
  process.exit(2);
}
const runs = Number(runsArg);
const OUT = join(ROOT, 'bench', 'data', 'out', 'first-request');
mkdirSync(OUT, { recursive: true });
const CREDS = { LIVEDESK_API_KEY: 'bench-key', LIVEDESK_API_SECRET: 'bench-secret' };
const env = { ...process.env, ...CREDS };

const standin = spawn(process.execPath, [BIN, 'standin', '--port', '0', '--inbox-id', '407'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
let said = '';
const url = await new Promise((resolve) =>
  standin.stdout.on('data', (d) => {
    said += d;
    const m = /listening on (http:\/\/\S+)/.exec(said);
    if (m) resolve(m[1]);
  }),
);
const admin = async (method, path) => (await fetch(url + path, { method })).json();

/** ms from spawn to the stand-in's first request; the run is then stopped. */
async function firstRequest() {
  await admin('POST', '/_standin/reset');
  const o = (n) => join(OUT, n);
  const args = [BIN, file, '--inbox-id', '407', '--base-url', url, '--rate', '10000', '--concurrency', '32', '--quiet', '--force', '--no-state',
    '--results', o('r.csv'), '--failures', o('f.csv'), '--journal', o('j.jsonl')];
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { env, stdio: 'ignore' });
  const closed = new Promise((r) => child.on('close', r));
  let ms;
  for (;;) {
    if ((await admin('GET', '/_standin/stats')).requests > 0) {
      ms = performance.now() - t0;
      break;
    }
    if (child.exitCode !== null) throw new Error(`the importer exited (${child.exitCode}) before its first request`);
    await sleep(5);
  }
  child.kill('SIGINT');
  await closed;
  return ms;
}

function help() {
  const tf = join(OUT, 'time');
  rmSync(tf, { force: true });
  return new Promise((resolve) => {
    const child = spawn('/usr/bin/time', ['-o', tf, '-f', '%e %U %S %M', process.execPath, BIN, '--help'], { stdio: 'ignore' });
    child.on('close', () => {
      const [e, u, s, m] = readFileSync(tf, 'utf8').trim().split('\n').pop().split(' ').map(Number);
      resolve({ wall: e * 1000, cpu: (u + s) * 1000, rssMb: m / 1024 });
    });
  });
}

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const firsts = [];
const helps = [];
for (let i = 0; i < runs; i++) {
  firsts.push(await firstRequest());
  helps.push(await help().catch(() => undefined));
  await sleep(300);
}
standin.kill('SIGTERM');
const h = helps.filter(Boolean);
console.log(`${file}: first request median ${median(firsts).toFixed(0)} ms [${firsts.map((x) => x.toFixed(0)).join(' ')}]`);
if (h.length) console.log(`--help: wall ${median(h.map((x) => x.wall)).toFixed(0)} ms, CPU ${median(h.map((x) => x.cpu)).toFixed(0)} ms, peak RSS ${median(h.map((x) => x.rssMb)).toFixed(0)} MB (medians of ${h.length})`);

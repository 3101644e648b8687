// What scrubbing the server's answers costs (src/security/server-text.ts): every answer body and
// header the client reads passes through it once. Compared with what the answer costs anyway
// (JSON.parse of the same body), on the answers a run really gets: a create answer, a search page
// of 15 contacts (with avatar URLs: `://` without a `user:password@`),
// a create answer whose text makes the quick check fall through to the full passes, and an error
// body that echoes the credentials.
//
//   node bench/server-text.mjs [--n 200000]
//
// src/security/server-text.ts is bundled with esbuild into a temp file (the project builds only
// the CLI bundle). Prints a markdown table of median ns per answer over 7 rounds.
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const i = process.argv.indexOf('--n');
const N = i === -1 ? 200_000 : Number(process.argv[i + 1]);
const ROUNDS = 7;

const tmp = mkdtempSync(join(tmpdir(), 'server-text-bench-'));
const out = join(tmp, 'server-text.mjs');
await build({ entryPoints: [join(root, 'src/security/server-text.ts')], bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'error' });
const { serverTextScrubber } = await import(pathToFileURL(out).href);
rmSync(tmp, { recursive: true, force: true });

const KEY = 'lk_live_4f9a2c7e1b3d';
const SECRET = 'ls_9Qw2Zr7Lm3Xp8Kt5Vb1Nc6';
const scrub = serverTextScrubber(KEY, SECRET);
const token = Buffer.from(`${KEY}:${SECRET}`).toString('base64');

const contact = (n) => ({
  id: 100000 + n,
  name: `Ada Lovelace ${n}`,
  email: `ada${n}@example.com`,
  phone_number: '+4915112345678',
  identifier: `crm-${n}`,
  thumbnail: `https://cdn.example.com/avatars/${n}.png`,
  custom_attributes: { plan: 'Premium', note: 'x'.repeat(40) },
  additional_attributes: { city: 'Berlin' },
});
const bodies = {
  'create answer': JSON.stringify({ payload: { contact: contact(1), contact_inbox: { inbox: null, source_id: null } } }),
  'search page (15 contacts)': JSON.stringify({ meta: { count: 15, current_page: 1 }, payload: Array.from({ length: 15 }, (_, n) => contact(n)) }),
  // "Basic plan" passes the quick check (it could be `Basic <token>`): the full passes run.
  'create answer with "Basic plan" in it': JSON.stringify({ payload: { contact: { ...contact(1), custom_attributes: { plan: 'Basic plan' } } } }),
  'error echoing the credentials': JSON.stringify({ message: `bad request; Authorization: Basic ${token}; ${KEY}:${SECRET}`, request: { headers: { Authorization: `Basic ${token}` } } }),
};

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(f, body) {
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    let sink = 0;
    const t = process.hrtime.bigint();
    for (let k = 0; k < N; k++) sink += f(body) === undefined ? 0 : 1;
    rounds.push(Number(process.hrtime.bigint() - t) / N);
    if (sink < 0) console.log(sink);
  }
  return median(rounds);
}

console.log(`| answer | bytes | scrub ns | JSON.parse ns | scrub / parse |`);
console.log(`|---|---:|---:|---:|---:|`);
for (const [name, body] of Object.entries(bodies)) {
  const s = time((b) => scrub.text(b), body);
  const p = time((b) => JSON.parse(b), body);
  console.log(`| ${name} | ${body.length} | ${s.toFixed(0)} | ${p.toFixed(0)} | ${(s / p).toFixed(2)} |`);
}

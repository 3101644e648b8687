// Credentials that come back from the server: a debugging gateway or a misconfigured proxy that
// repeats the request in its answer. The client scrubs every answer where it becomes text
// (security/server-text.ts), so nothing the run writes — stderr, stdout, the log file, the summary,
// the report, the results and failures files, the journal, the state store — ever holds the key,
// the secret, `key:secret`, its base64, or an Authorization value, whatever the status.
import { once } from 'node:events';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REDACTED, serverTextScrubber } from '../src/security/server-text.js';
import { classifyAnswer } from '../src/send/classify.js';
import { createClient } from '../src/send/client.js';
import { startStandin } from '../src/standin/server.js';
import { CREDS, KEY, runCli, SECRET, tempDir, writeCsv } from './helpers/cli.js';

const PAIR = `${KEY}:${SECRET}`;
const TOKEN = Buffer.from(PAIR).toString('base64');
/** The gateway's own token, which it echoes too (src/standin/faults.ts). */
const GATEWAY_TOKEN = 'gw-7Hq2xZp9Lk3';
const FORBIDDEN = [KEY, SECRET, PAIR, TOKEN, TOKEN.replace(/=+$/, ''), Buffer.from(PAIR).toString('base64url'), encodeURIComponent(PAIR), GATEWAY_TOKEN];

function expectClean(text: string, where: string): void {
  for (const f of FORBIDDEN) expect(text.includes(f), `${where} holds ${f}`).toBe(false);
  expect(text.toLowerCase().includes(encodeURIComponent(PAIR).toLowerCase()), `${where} holds the URL-encoded pair`).toBe(false);
  expect(text, where).not.toMatch(/authorization\W{1,4}basic\s+[a-z0-9+/=]{8,}/i);
}

describe('the scrubber', () => {
  const scrub = serverTextScrubber(KEY, SECRET);

  it('takes out every spelling of the credentials, and any Authorization value, Bearer or Basic token', () => {
    const echoes = [
      `Authorization: Basic ${TOKEN}`,
      `authorization=Basic%20${TOKEN}`,
      `{"headers":{"Authorization":"Basic ${TOKEN}"}}`,
      `{"headers":{"proxy-authorization":"Bearer abc.def.ghi"}}`,
      `got ${PAIR} from you`,
      `key ${KEY}, secret ${SECRET}`,
      `token ${TOKEN.replace(/=+$/, '')} unpadded`,
      `url ${encodeURIComponent(PAIR)} and ${encodeURIComponent(PAIR).toLowerCase()}`,
      `as json ${JSON.stringify(PAIR)}`,
      `upstream said Bearer ${GATEWAY_TOKEN}`,
      `someone else's Basic ${Buffer.from('ops:hunter2').toString('base64')}`,
      `Location: https://${KEY}:${SECRET}@evil.example/`,
      `moved to https://admin:pw@other.example/x`,
    ];
    for (const e of echoes) {
      const out = scrub.text(e);
      expectClean(out, e);
      expect(out, e).toContain(REDACTED);
      expect(out, e).not.toContain('hunter2');
      expect(out, e).not.toMatch(/admin:pw|abc\.def\.ghi/);
    }
  });

  it('keeps a JSON body JSON, and what is not a credential as it was (the same string when nothing matched)', () => {
    const body = JSON.stringify({ message: `bad; Authorization: Basic ${TOKEN}; ${PAIR}`, headers: { Authorization: `Basic ${TOKEN}` }, note: 'Basic plan, 12 seats' });
    const parsed = JSON.parse(scrub.text(body)) as { message: string; headers: Record<string, string>; note: string };
    expect(parsed).toEqual({ message: `bad; Authorization: ${REDACTED}; ${REDACTED}`, headers: { Authorization: REDACTED }, note: 'Basic plan, 12 seats' });
    const clean = JSON.stringify({ payload: { contact: { id: 7, name: 'Basic Information', avatar_url: 'https://cdn.example/a.png' } } });
    expect(scrub.text(clean)).toBe(clean);
  });

  it('a credential written with JSON escapes (\\u002B for +, \\/ for /) is gone once the body is parsed', () => {
    const s2 = serverTextScrubber('myKeyABCD', 's3cret+Key/9xyz');
    const escaped = (v: string): string => v.replace(/\+/g, '\\u002B').replace(/\//g, '\\/');
    const body = `{"message":"Bad request from client ${escaped('myKeyABCD:s3cret+Key/9xyz')}","attributes":["email"],"id":1152921504606846977}`;
    const out = s2.text(body);
    const parsed = JSON.parse(out) as { message: string; attributes: string[] };
    expect(parsed.message.startsWith(`Bad request from client ${REDACTED}`)).toBe(true);
    expect(parsed.message).not.toMatch(/s3cret|myKey|9xyz/);
    expect(parsed.attributes).toEqual(['email']);
    // Nothing found: the body is left exactly as it came (a big ID keeps its digits).
    const clean = '{"payload":{"contact":{"id":1152921504606846977,"name":"A\\/B"}}}';
    expect(s2.text(clean)).toBe(clean);
  });

  it('a body cut in the middle of a credential loses the cut part too', () => {
    // The key is whole (scrubbed as itself), the secret's start is cut: both go.
    expect(scrub.cutText(`upstream got ${PAIR.slice(0, -5)}`)).toBe(`upstream got ${REDACTED}:${REDACTED}`);
    expect(scrub.cutText(`token ${TOKEN.slice(0, 10)}`)).toBe(`token ${REDACTED}`);
    expect(scrub.cutText('nothing cut here')).toBe('nothing cut here');
  });

  it('headers: every value scrubbed, the same object when none needed it', () => {
    const h = { location: `http://${encodeURIComponent(KEY)}:${encodeURIComponent(SECRET)}@127.0.0.1:1/`, 'x-echo': [`Basic ${TOKEN}`, 'ok'] };
    const out = scrub.headers(h);
    expectClean(JSON.stringify(out), 'headers');
    expect(out['x-echo']![1]).toBe('ok');
    const plain = { 'content-type': 'application/json' };
    expect(scrub.headers(plain)).toBe(plain);
  });
});

/** A throwaway server that echoes the request's Authorization header in its answer. */
async function echoServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

describe('the client hands over no echoed credential', () => {
  const ctx = (baseUrl: string) => ({ inboxId: '407', baseUrl, now: Date.now() });

  it.each([400, 401, 404, 422, 500, 302])('HTTP %i: body and headers scrubbed before anyone reads them', async (status) => {
    const { url, server } = await echoServer((req, res) => {
      const auth = req.headers.authorization ?? '';
      res.writeHead(status, { 'content-type': 'text/plain', location: `https://${KEY}:${SECRET}@elsewhere.example/`, 'x-seen': auth, 'retry-after': SECRET });
      res.end(`you sent Authorization: ${auth} which is ${Buffer.from(auth.slice(6), 'base64').toString()}`);
    });
    const client = createClient({ baseUrl: url, apiKey: KEY, apiSecret: SECRET, connections: 1, timeoutMs: 5000 });
    try {
      const a = await client.createContact({ inbox_id: 407, name: 'Ada' });
      expect(a.status).toBe(status);
      expectClean(JSON.stringify(a), 'the answer');
      const c = classifyAnswer(a, ctx(url));
      expect('message' in c && c.message).toBeTruthy();
      expectClean(JSON.stringify(c), 'its classification');
    } finally {
      await client.close();
      await stop(server);
    }
  });

  it('a body that breaks off in the middle of the secret', async () => {
    const { url, server } = await echoServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain', 'content-length': '1000' });
      res.write(`upstream refused ${PAIR.slice(0, -4)}`);
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const client = createClient({ baseUrl: url, apiKey: KEY, apiSecret: SECRET, connections: 1, timeoutMs: 5000 });
    try {
      const a = await client.createContact({ inbox_id: 407, name: 'Ada' });
      expect(a).toMatchObject({ status: 500, incomplete: 'connection' });
      expect(a.body).toBe(`upstream refused ${REDACTED}:${REDACTED}`);
    } finally {
      await client.close();
      await stop(server);
    }
  });
});

/** Every file under `dir`, as text (binary files too: a credential is ASCII either way). */
function everyFile(dir: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...everyFile(p));
    else out.push([p, readFileSync(p).toString('latin1')]);
  }
  return out;
}

describe('the CLI against a gateway that echoes the credentials', () => {
  const HEADER = ['Full Name', 'Email'];
  const ROWS = [
    ['Ada Lovelace', 'ada@example.com'],
    ['Grace Hopper', 'grace@example.com'],
    ['Alan Turing', 'alan@example.com'],
    ['Edsger Dijkstra', 'edsger@example.com'],
  ];

  it('the stand-in fault really echoes them (so the runs below prove something)', async () => {
    const standin = await startStandin({ port: 0, apiKey: KEY, apiSecret: SECRET, seed: 5, faults: { echoAuthRate: 1, echoAuthStatus: 400 } });
    try {
      const res = await fetch(`${standin.url}/api/v2/accounts/contacts`, {
        method: 'POST',
        headers: { authorization: `Basic ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ inbox_id: 407, name: 'Ada' }),
      });
      const text = await res.text();
      expect(res.status).toBe(400);
      for (const f of [KEY, SECRET, PAIR, TOKEN, encodeURIComponent(PAIR), GATEWAY_TOKEN]) expect(text).toContain(f);
      expect(res.headers.get('x-echo-authorization')).toBe(`Basic ${TOKEN}`);
      expect(standin.contacts()).toEqual([]);
    } finally {
      await standin.close();
    }
  });

  // 400: the rows fail as rejected (failures file, journal, summary, report, log); 500: retried,
  // then server_error; 401: the run stops, the message on stderr.
  it.concurrent.each([
    [400, 0.5, 1, /rejected/],
    [500, 1, 3, /server_error|LiveDesk server error/],
    [401, 1, 3, /LiveDesk refused the credentials/],
  ] as const)('HTTP %i: no output holds a credential; the message is still there', async (status, rate, exitCode, said) => {
    const standin = await startStandin({ port: 0, apiKey: KEY, apiSecret: SECRET, seed: 5, faults: { echoAuthRate: rate, echoAuthStatus: status } });
    const dir = tempDir('ldi-secrets-echo-');
    try {
      const input = writeCsv(dir, 'c.csv', [HEADER, ...ROWS]);
      const run = await runCli(
        [
          input,
          '--inbox-id',
          '407',
          '--base-url',
          standin.url,
          '--rate',
          '1000',
          '--retries',
          '1',
          '--max-consecutive-failures',
          '3',
          '--log-level',
          'debug',
          '--log-file',
          join(dir, 'run.log'),
          '--summary',
          join(dir, 'summary.json'),
          '--report',
          join(dir, 'report.html'),
        ],
        { ...CREDS, XDG_STATE_HOME: join(dir, 'state') },
      );
      expect(standin.stats().byFault.echoAuth ?? 0).toBeGreaterThan(0);
      expect(run.code, run.stderr).toBe(exitCode);
      expectClean(run.stderr, 'stderr');
      expectClean(run.stdout, 'stdout');
      const files = everyFile(dir);
      const names = files.map(([p]) => p.slice(dir.length + 1));
      expect(names).toEqual(expect.arrayContaining(['c.results.csv', 'c.failures.csv', 'c.journal.jsonl', 'run.log', 'summary.json', 'report.html']));
      for (const [p, text] of files) expectClean(text, p);
      // What the gateway said is still shown, with the credentials cut out.
      const all = run.stderr + files.map(([, t]) => t).join('\n');
      expect(all).toMatch(said);
      expect(all).toContain(`gateway error: upstream refused the request (Authorization: ${REDACTED}; credentials ${REDACTED}`);
    } finally {
      await standin.close();
    }
  });
});

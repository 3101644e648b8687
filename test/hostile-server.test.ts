// A LiveDesk that misbehaves: bodies that are not JSON, carry no ID, are huge or never end,
// redirects, forged certificates, broken connections. First the client on its own (what it reads,
// what it throws), then the built CLI against the stand-in's hostile modes, as a person runs it.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyAnswer, classifyError } from '../src/send/classify.js';
import { createClient, DEFAULT_MAX_BODY_BYTES, LiveDeskRequestError, RequestTimeoutError, type LiveDeskClient } from '../src/send/client.js';
import { startStandin, type Standin, type StandinFaults } from '../src/standin/server.js';
import { CREDS, KEY, readCsv, runCli, SECRET, tempDir, writeCsv } from './helpers/cli.js';

const TOKEN = Buffer.from(`${KEY}:${SECRET}`).toString('base64');
const CONTACT = { inbox_id: 407, name: 'Ada', email: 'ada@example.com' };
const ctx = (baseUrl: string) => ({ inboxId: '407', baseUrl, now: Date.now() });

function client(baseUrl: string, timeoutMs = 10_000, extra: { apiKey?: string; apiSecret?: string } = {}): LiveDeskClient {
  return createClient({ baseUrl, apiKey: KEY, apiSecret: SECRET, connections: 2, timeoutMs, ...extra });
}

/** A throwaway HTTP server with its own handler, on an ephemeral loopback port. */
async function rawServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; server: Server; requests: () => number }> {
  let requests = 0;
  const server = createHttpServer((req, res) => {
    requests++;
    handler(req, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, requests: () => requests };
}

/** Server-side close events trail the client's: wait for them (bounded), never sleep blindly. */
async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** What an error would show in a log or a message: every property, however deep, hidden ones too. */
function exposed(err: unknown): string {
  const verdict = classifyError(err);
  return `${inspect(err, { depth: Infinity, showHidden: true })}\n${JSON.stringify(err)}\n${'message' in verdict ? verdict.message : ''}`;
}

function expectNoCredentials(text: string): void {
  expect(text).not.toContain(KEY);
  expect(text).not.toContain(SECRET);
  expect(text).not.toContain(TOKEN);
  expect(text.toLowerCase()).not.toContain('authorization');
}

describe('client: bodies', () => {
  let standin: Standin;
  beforeAll(async () => {
    standin = await startStandin({ port: 0, apiKey: KEY, apiSecret: SECRET, seed: 3 });
  });
  afterAll(() => standin.close());

  it('reads at most 1 MiB of a 10 MB answer, lets the connection go, and fails the row as bad_response', async () => {
    standin.reset();
    standin.setFaults({ hugeBodyRate: 1 });
    const c = client(standin.url);
    try {
      const a = await c.createContact(CONTACT);
      expect(a).toMatchObject({ status: 200, truncated: true });
      expect(Buffer.byteLength(a.body)).toBe(DEFAULT_MAX_BODY_BYTES);
      // The part that came is the start of a real answer, ID included: it is still not trusted.
      expect(a.body).toContain(`"id":${standin.contacts()[0]!.id}`);
      const verdict = classifyAnswer(a, ctx(standin.url));
      expect(verdict).toMatchObject({ kind: 'row', code: 'bad_response' });
      expect(verdict.kind === 'row' && verdict.message).toMatch(/too large.*check LiveDesk/);
    } finally {
      await c.close();
    }
    await waitFor(() => standin.stats().inFlight === 0);
  });

  it('stops reading an endless fast stream at the cap (only the cap can end this exchange)', async () => {
    let closed = false;
    const endless = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const piece = Buffer.alloc(64 * 1024, 0x20);
      const pump = (): void => {
        while (!res.destroyed && res.write(piece));
        if (!res.destroyed) res.once('drain', pump);
      };
      res.on('close', () => (closed = true));
      pump();
    });
    const c = client(endless.url, 600_000);
    try {
      const a = await c.createContact(CONTACT);
      expect(a.truncated).toBe(true);
      expect(a.body.length).toBe(DEFAULT_MAX_BODY_BYTES);
      await c.close();
      await waitFor(() => closed);
    } finally {
      await stop(endless.server);
    }
  });

  it('does not read a body whose declared length is over the cap', async () => {
    const big = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(10 * 1024 * 1024) });
      res.write('{"payload":{"contact":{"id":1}}');
    });
    const c = client(big.url);
    try {
      expect(await c.createContact(CONTACT)).toMatchObject({ status: 200, body: '', truncated: true });
    } finally {
      await c.close();
      await stop(big.server);
    }
  });

  it('cuts a body that trickles forever at the deadline, keeping the status: a 200 is bad_response', async () => {
    standin.reset();
    standin.setFaults({ neverEndRate: 1 });
    const c = client(standin.url, 400);
    try {
      const a = await c.createContact(CONTACT);
      expect(a).toMatchObject({ status: 200, truncated: true, incomplete: 'timeout' });
      expect(a.body.startsWith('{"payload":')).toBe(true);
      const verdict = classifyAnswer(a, ctx(standin.url));
      expect(verdict).toMatchObject({ kind: 'row', code: 'bad_response' });
      expect(verdict.kind === 'row' && verdict.message).toMatch(/did not finish within --timeout.*most likely created.*check LiveDesk/);
    } finally {
      await c.close();
    }
    expect(standin.contacts()).toHaveLength(1);
  });

  it('cuts a body that stops after the headers (undici bodyTimeout or our deadline, whichever first)', async () => {
    const silent = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{');
    });
    const c = client(silent.url, 300);
    try {
      expect(await c.createContact(CONTACT)).toMatchObject({ status: 200, truncated: true, incomplete: 'timeout' });
    } finally {
      await c.close();
      await stop(silent.server);
    }
  });

  it('a 5xx whose body never ends is still a 5xx: retried as server_error', async () => {
    const slow5xx = await rawServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      const t = setInterval(() => res.write('.'), 50);
      res.on('close', () => clearInterval(t));
    });
    const c = client(slow5xx.url, 300);
    try {
      const a = await c.createContact(CONTACT);
      expect(a).toMatchObject({ status: 503, incomplete: 'timeout' });
      expect(classifyAnswer(a, ctx(slow5xx.url))).toMatchObject({ kind: 'retry', code: 'server_error' });
    } finally {
      await c.close();
      await stop(slow5xx.server);
    }
  });

  it('a connection that breaks mid-body after a 200 is bad_response, not a silent success', async () => {
    const broken = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"payload":{"contact":{"id":12');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const c = client(broken.url);
    try {
      const a = await c.createContact(CONTACT);
      expect(a).toMatchObject({ status: 200, truncated: true, incomplete: 'connection' });
      expect(classifyAnswer(a, ctx(broken.url))).toMatchObject({ kind: 'row', code: 'bad_response' });
    } finally {
      await c.close();
      await stop(broken.server);
    }
  });
});

describe('client: redirects', () => {
  it('never follows one: the other host gets nothing, and the run stops with a message about redirects', async () => {
    const elsewhere = await rawServer((_req, res) => res.end('{}'));
    const redirector = await rawServer((_req, res) => {
      res.writeHead(307, { location: `${elsewhere.url}/api/v2/accounts/contacts` }).end();
    });
    const c = client(redirector.url);
    try {
      const a = await c.createContact(CONTACT);
      expect(a.status).toBe(307);
      const verdict = classifyAnswer(a, ctx(redirector.url));
      expect(verdict.kind).toBe('fatal');
      expect(verdict.kind === 'fatal' && verdict.message).toMatch(/redirect \(HTTP 307 to http:\/\/127\.0\.0\.1:\d+\/api.*never followed/);
      expect(elsewhere.requests()).toBe(0);
    } finally {
      await c.close();
      await stop(redirector.server);
      await stop(elsewhere.server);
    }
  });

  it('a Location full of terminal escapes is shown defanged', async () => {
    const verdict = classifyAnswer({ status: 302, headers: { location: 'http://x/\u001b[2J\u001b]0;pwned\u0007\u202eevil' }, body: '', truncated: false }, ctx('http://127.0.0.1:1'));
    expect(verdict.kind === 'fatal' && verdict.message).not.toMatch(/[\u0000-\u001f\u007f\u202e]/);
  });
});

describe('client: errors carry no credentials', () => {
  it('connection refused', async () => {
    const c = client('http://127.0.0.1:1');
    try {
      const err = await c.createContact(CONTACT).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LiveDeskRequestError);
      expect(err).toMatchObject({ code: 'ECONNREFUSED' });
      expect(Object.keys(err as object).sort()).toEqual(['code', 'name']);
      expectNoCredentials(exposed(err));
      expect(classifyError(err)).toMatchObject({ kind: 'retry', code: 'network', ambiguous: false });
    } finally {
      await c.close();
    }
  });

  it('reset before an answer, and no answer at all', async () => {
    const standin = await startStandin({ port: 0, apiKey: KEY, apiSecret: SECRET, faults: { resetBeforeRate: 1 } });
    const c = client(standin.url, 300);
    try {
      const reset = await c.createContact(CONTACT).catch((e: unknown) => e);
      expect(reset).toBeInstanceOf(LiveDeskRequestError);
      expectNoCredentials(exposed(reset));
      standin.setFaults({ hangAfterRate: 1 });
      const hung = await c.createContact(CONTACT).catch((e: unknown) => e);
      expect(hung).toBeInstanceOf(RequestTimeoutError);
      expectNoCredentials(exposed(hung));
      expect(classifyError(hung)).toMatchObject({ code: 'timeout', ambiguous: true });
    } finally {
      await c.close();
      await standin.close();
    }
  });

  it('scrubs a credential that turns up in an error message', async () => {
    // Contrived on purpose: a secret equal to the address makes undici's own message contain it.
    const c = client('http://127.0.0.1:1', 10_000, { apiSecret: '127.0.0.1:1' });
    try {
      const err = (await c.createContact(CONTACT).catch((e: unknown) => e)) as Error;
      expect(err.message).toContain('[redacted]');
      expect(err.message).not.toContain('127.0.0.1:1');
    } finally {
      await c.close();
    }
  });
});

let openssl = true;
try {
  execFileSync('openssl', ['version'], { stdio: 'ignore' });
} catch {
  openssl = false;
}

describe.runIf(openssl)('client: TLS is always verified', () => {
  let url: string;
  let server: Server;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ldi-tls-'));
    const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    server = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"payload":{"contact":{"id":1}}}');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => stop(server));

  it('refuses a self-signed certificate even with NODE_TLS_REJECT_UNAUTHORIZED=0, and stops the run', async () => {
    const before = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    const c = client(url);
    // The control: a pool that leaves the option unset does accept the certificate, so the
    // variable really is in effect for this process.
    const control = new Pool(url);
    try {
      expect((await (await control.request({ method: 'GET', path: '/' })).body.text()).length).toBeGreaterThan(0);
      const err = await c.createContact(CONTACT).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LiveDeskRequestError);
      expect((err as LiveDeskRequestError).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
      expectNoCredentials(exposed(err));
      const verdict = classifyError(err);
      expect(verdict.kind).toBe('fatal');
      expect(verdict.kind === 'fatal' && verdict.message).toMatch(/certificate .* could not be verified.*NODE_EXTRA_CA_CERTS/);
    } finally {
      if (before === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = before;
      await c.close();
      await control.close();
    }
  });
});

describe('the CLI against a hostile stand-in', () => {
  const HEADER = ['Full Name', 'Email', 'External ID'];
  const ROWS = [
    ['Ada Lovelace', 'ada@example.com', 'c-1'],
    ['Grace Hopper', 'grace@example.com', ''],
    ['Only A Name', '', ''],
  ];
  const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;

  // The timeout only matters for the never-ending body; elsewhere it is long enough that a loaded
  // machine cannot turn a prompt answer into a timeout and change the outcome under test.
  async function hostileRun(faults: StandinFaults, timeoutMs = 10_000) {
    const standin = await startStandin({ port: 0, apiKey: KEY, apiSecret: SECRET, seed: 11, faults });
    const dir = tempDir('ldi-hostile-');
    try {
      const input = writeCsv(dir, 'c.csv', [HEADER, ...ROWS]);
      const run = await runCli([input, '--inbox-id', '407', '--base-url', standin.url, '--rate', '1000', '--timeout', String(timeoutMs), '--retries', '1', '--summary', join(dir, 's.json')], CREDS);
      return {
        run,
        stored: standin.contacts().length,
        ids: Object.fromEntries(standin.contacts().map((c) => [c.email ?? c.name, c.id])),
        requests: standin.stats().requests,
        failures: readCsv(join(dir, 'c.failures.csv')).rows,
        results: readCsv(join(dir, 'c.results.csv')).rows,
        summary: JSON.parse(readFileSync(join(dir, 's.json'), 'utf8')) as Record<string, unknown>,
      };
    } finally {
      await standin.close();
    }
  }

  // Each runs against its own stand-in, so they can run side by side.
  it.concurrent.each([
    ['200 text/html', { badBodyRate: 1 }, /body is not JSON \(text\/html/, undefined],
    ['200 JSON without an ID', { noIdRate: 1 }, /no usable payload\.contact\.id/, undefined],
    ['a 10 MB body', { hugeBodyRate: 1 }, /too large/, undefined],
    // Not a timeout: the 200 arrived, so LiveDesk stored the contact. 2 s, not less: the status
    // line must beat the deadline even on a busy machine.
    ['a body that never ends', { neverEndRate: 1 }, /did not finish within --timeout/, 2000],
  ] as const)('%s: stored, so found by identifier or email and recorded created; the name-only row bad_response', async (_name, faults, message, timeoutMs) => {
    const r = await hostileRun(faults, timeoutMs);
    expect(r.run.code, r.run.stderr).toBe(1);
    expect(r.run.stderr).not.toMatch(STACK_LINE);
    expect(r.run.stderr).not.toMatch(/unexpected error/i);
    expect(r.results.map((x) => [x.row, x.outcome, x.contact_id, x.note]).sort()).toEqual([
      ['1', 'created', String(r.ids['ada@example.com']), expect.stringMatching(new RegExp(`${message.source}.*its ID was found by searching its identifier$`))],
      ['2', 'created', String(r.ids['grace@example.com']), expect.stringMatching(new RegExp(`${message.source}.*its ID was found by searching its email$`))],
    ]);
    // With no email or identifier nothing finds it safely, and a resend could create a second copy.
    expect(r.failures.map((f) => [f._row, f._error, f._message])).toEqual([['3', 'bad_response', expect.stringMatching(new RegExp(`${message.source}.*check LiveDesk`))]]);
    expect(r.summary).toMatchObject({ rows: 3, created: 2, existing: 0, failed: 1, byError: { bad_response: 1 } });
    // Each stored once, none sent twice: three creates, two searches.
    expect([r.stored, r.requests]).toEqual([3, 5]);
  });

  it.concurrent('a redirect: exit 3, nothing sent on, a message about redirects', async () => {
    const r = await hostileRun({ redirectRate: 1 });
    expect(r.run.code, r.run.stderr).toBe(3);
    expect(r.run.stderr).toMatch(/LiveDesk answered a redirect \(HTTP 302 to http:\/\/127\.0\.0\.1:1\/elsewhere\); redirects are never followed/);
    expect(r.run.stderr).not.toMatch(STACK_LINE);
    expect(r.failures).toEqual([]);
    expect(r.results).toEqual([]);
    expect(r.stored).toBe(0);
    expect(r.summary).toMatchObject({ aborted: true, created: 0, failed: 0 });
  });

});

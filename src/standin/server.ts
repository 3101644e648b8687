// A loopback HTTP server that imitates LiveDesk's contact API (see /work/shared/livedesk-api.md),
// with rate limiting and fault injection, for tests, the demo and benchmarks.
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  apiContact,
  ContactStore,
  CREATE_FIELDS,
  newContact,
  parseChanges,
  UPDATE_FIELDS,
  withMergedAttributes,
  type ChangeField,
  type FieldError,
  type StandinContact,
} from './contacts.js';
import { checkFaults, drawFault, latencyFor, mulberry32, storesContact, type StandinFaults } from './faults.js';
import { SlidingWindow } from './ratelimit.js';

export type { StandinContact } from './contacts.js';
export type { StandinFaults } from './faults.js';

export interface StandinOptions {
  /** Default 0 (ephemeral). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  apiKey: string;
  apiSecret: string;
  /** Known inboxes, default [407]; compared as strings. */
  inboxIds?: Array<number | string>;
  /** Max API requests per second (sliding 1 s window); 0/undefined = unlimited. */
  rateLimit?: number;
  /** Whether a 429 carries Retry-After; default 'none', as Chatwoot. */
  retryAfter?: 'none' | 'seconds' | 'date';
  faults?: StandinFaults;
  /** Seeds the PRNG for fault draws. */
  seed?: number;
  /** 422 bodies with `message` only, as older Chatwoot. */
  legacyErrors?: boolean;
}

export interface StandinStats {
  requests: number;
  creates: number;
  byStatus: Record<string, number>;
  maxInFlight: number;
  inFlight: number;
  rateLimited: number;
  resets: number;
  hangs: number;
  /** Creates answered by each fault (resetBefore, error, redirect, badBody, neverEnd, …). */
  byFault: Record<string, number>;
}

export interface Standin {
  url: string;
  port: number;
  contacts(): StandinContact[];
  stats(): StandinStats;
  setFaults(f: StandinFaults): void;
  setRateLimit(n: number): void;
  reset(): void;
  close(): Promise<void>;
}

type Answer = { kind: 'answer'; status: number; body: string; headers: Record<string, string> };
type Reply = Answer | { kind: 'reset' } | { kind: 'hang' } | { kind: 'huge'; contact: StandinContact } | { kind: 'neverEnd' };

const MAX_BODY_BYTES = 1024 * 1024;
const HUGE_BODY_BYTES = 10 * 1024 * 1024;
const TRICKLE_MS = 100;
// Port 1 on loopback: nothing listens there, so a client that did follow would fail at once.
const REDIRECT_TO = 'http://127.0.0.1:1/elsewhere';
const CONTACTS_PATH = '/api/v2/accounts/contacts';
const CONTACT_PATH = /^\/api\/v2\/accounts\/contacts\/(\d+)$/;
const NOT_FOUND = { error: 'Resource could not be found' };
// Only the path and query of a request target matter; the base just makes relative targets parse.
const BASE_URL = 'http://standin.invalid';

function json(status: number, value: unknown): Answer {
  return {
    kind: 'answer',
    status,
    body: JSON.stringify(value),
    headers: { 'content-type': 'application/json; charset=utf-8' },
  };
}

type Counters = Omit<StandinStats, 'inFlight'>;

function freshCounters(): Counters {
  return { requests: 0, creates: 0, byStatus: {}, maxInFlight: 0, rateLimited: 0, resets: 0, hangs: 0, byFault: {} };
}

function send(res: ServerResponse, reply: Answer): void {
  res.writeHead(reply.status, reply.headers).end(reply.body);
}

function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

class BodyTooLarge extends Error {}
class BadJson extends Error {}

function internalError(error: unknown): Answer {
  return json(500, { error: 'Internal server error', detail: String(error) });
}

/** The answer for a body the client got wrong, or undefined for any other failure. */
function bodyErrorReply(error: unknown): Answer | undefined {
  if (error instanceof BodyTooLarge) return json(413, { error: 'Request body too large' });
  if (error instanceof BadJson) return json(400, { error: error.message });
  return undefined;
}

/** Reads the whole body; past the cap it keeps draining so the client still gets its 413. */
async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  if (size > MAX_BODY_BYTES) throw new BodyTooLarge();
  return Buffer.concat(chunks).toString('utf8');
}

async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(req);
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BadJson('body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BadJson('body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/** Hashing first gives timingSafeEqual equal lengths, so the length is not leaked either. */
function sameSecret(a: string, b: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(a), digest(b));
}

function credentialsOf(req: IncomingMessage): string {
  const match = /^Basic\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1] === undefined ? '' : Buffer.from(match[1], 'base64').toString('utf8');
}

function checkOptions(opts: StandinOptions): void {
  if (!opts.apiKey || !opts.apiSecret) throw new RangeError('apiKey and apiSecret must be non-empty');
  checkRateLimit(opts.rateLimit ?? 0);
  if (opts.faults) checkFaults(opts.faults);
}

function checkRateLimit(n: unknown): asserts n is number {
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
    throw new RangeError('rateLimit must be a number >= 0 (0 = unlimited)');
  }
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export async function startStandin(opts: StandinOptions): Promise<Standin> {
  checkOptions(opts);
  const host = opts.host ?? '127.0.0.1';
  const expectedCredentials = `${opts.apiKey}:${opts.apiSecret}`;
  const inboxes = new Set((opts.inboxIds ?? [407]).map(String));
  const retryAfter = opts.retryAfter ?? 'none';
  const seed = opts.seed ?? randomInt(2 ** 32);
  const random = mulberry32(seed);
  // A second stream for the hostile modes, so that adding them left the classic faults' seeded
  // sequences as they were.
  const hostileRandom = mulberry32((seed ^ 0x9e3779b9) >>> 0);
  const store = new ContactStore();
  const limiter = new SlidingWindow(opts.rateLimit ?? 0);
  // Aborted by close() so that pending latency timers neither delay shutdown nor answer later.
  const closing = new AbortController();
  let faults: StandinFaults = { ...opts.faults };
  let rateLimit = opts.rateLimit ?? 0;
  let stats = freshCounters();
  let inFlight = 0;

  const unprocessable = (errors: FieldError[]): Answer => {
    const message = errors.map((e) => e.message).join(', ');
    if (opts.legacyErrors) return json(422, { message });
    return json(422, { message, attributes: [...new Set(errors.map((e) => e.attribute))] });
  };

  const rateLimited = (waitMs: number): Answer => {
    stats.rateLimited++;
    const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    if (retryAfter === 'seconds') headers['retry-after'] = String(seconds);
    // HTTP dates have whole seconds: round up so the date never lies about the wait.
    const until = Math.ceil(Date.now() / 1000 + seconds) * 1000;
    if (retryAfter === 'date') headers['retry-after'] = new Date(until).toUTCString();
    return { kind: 'answer', status: 429, body: 'Retry later', headers };
  };

  const parsed = async (req: IncomingMessage, allowed: readonly ChangeField[]) => {
    const body = await readJsonObject(req);
    return { body, changes: parseChanges(body, allowed) };
  };

  const create = async (req: IncomingMessage): Promise<Reply> => {
    const { body, changes } = await parsed(req, CREATE_FIELDS);
    const fault = drawFault(faults, random, hostileRandom);
    if (fault !== null) stats.byFault[fault] = (stats.byFault[fault] ?? 0) + 1;
    if (!storesContact(fault)) {
      if (fault === 'resetBefore') return { kind: 'reset' };
      if (fault === 'redirect') return redirect();
      return json(500, { error: 'Internal server error' });
    }
    if (!changes.ok) return json(400, { error: changes.error });
    const inbox = body.inbox_id;
    if ((typeof inbox !== 'string' && typeof inbox !== 'number') || String(inbox).trim() === '') {
      return inboxMissing();
    }
    const contact = newContact(changes.changes, String(inbox), Math.floor(Date.now() / 1000));
    const errors = store.check(contact);
    if (errors.length > 0) return unprocessable(errors);
    // Chatwoot saves the contact, then looks the inbox up and rolls back: 422 wins over 404.
    if (!inboxes.has(String(inbox))) return json(404, NOT_FOUND);
    const stored = store.insert(contact);
    stats.creates++;
    if (fault === 'resetAfter') return { kind: 'reset' };
    if (fault === 'hangAfter') return { kind: 'hang' };
    // Stored, as the real service would have, and then an answer with no ID the importer can read.
    if (fault === 'badBody') return { kind: 'answer', status: 200, body: '<html>oops</html>', headers: { 'content-type': 'text/html; charset=utf-8' } };
    if (fault === 'noId') return json(200, { payload: { contact: {} } });
    if (fault === 'hugeBody') return { kind: 'huge', contact: stored };
    if (fault === 'neverEnd') return { kind: 'neverEnd' };
    return json(200, { payload: { contact: apiContact(stored), contact_inbox: { inbox: null, source_id: null } } });
  };

  const redirect = (): Answer => ({
    kind: 'answer',
    status: 302,
    body: `<html><body>Moved to <a href="${REDIRECT_TO}">${REDIRECT_TO}</a></body></html>`,
    headers: { location: REDIRECT_TO, 'content-type': 'text/html; charset=utf-8' },
  });

  const inboxMissing = (): Answer =>
    opts.legacyErrors
      ? json(422, { message: "Inbox can't be blank" })
      : json(422, { message: "Inbox can't be blank", attributes: ['inbox_id'] });

  const update = async (req: IncomingMessage, id: number): Promise<Reply> => {
    const { changes } = await parsed(req, UPDATE_FIELDS);
    const contact = store.find(id);
    if (!contact) return json(404, NOT_FOUND);
    if (!changes.ok) return json(400, { error: changes.error });
    const errors = store.check(withMergedAttributes(contact, changes.changes), id);
    if (errors.length > 0) return unprocessable(errors);
    store.update(contact, changes.changes);
    return json(200, { payload: { contact: apiContact(contact) } });
  };

  const search = (url: URL): Answer => {
    const page = Math.max(1, Number.parseInt(url.searchParams.get('page') ?? '1', 10) || 1);
    const { count, items } = store.search(url.searchParams.get('q') ?? '', page);
    return json(200, { meta: { count, current_page: page }, payload: items.map(apiContact) });
  };

  const route = (req: IncomingMessage, url: URL): Promise<Reply> | Reply => {
    if (url.pathname === CONTACTS_PATH && req.method === 'POST') return create(req);
    if (url.pathname === CONTACTS_PATH && req.method === 'GET') return search(url);
    const id = CONTACT_PATH.exec(url.pathname)?.[1];
    if (id !== undefined && req.method === 'PATCH') return update(req, Number(id));
    return json(404, { error: 'Not found' });
  };

  const apiReply = async (req: IncomingMessage, url: URL): Promise<Reply> => {
    const admission = limiter.admit(performance.now());
    if (!admission.ok) return rateLimited(admission.waitMs);
    if (!sameSecret(credentialsOf(req), expectedCredentials)) return json(401, { error: 'Invalid Access Token' });
    try {
      return await route(req, url);
    } catch (error) {
      // A client gone mid-body lands here too; deliver() then finds the response destroyed.
      return bodyErrorReply(error) ?? internalError(error);
    }
  };

  const deliver = async (res: ServerResponse, reply: Reply): Promise<void> => {
    if (reply.kind === 'hang') {
      stats.hangs++;
      return;
    }
    const delay = latencyFor(faults);
    if (delay > 0) await sleep(delay, undefined, { signal: closing.signal });
    if (res.destroyed) return;
    if (reply.kind === 'reset') {
      stats.resets++;
      res.socket?.destroy();
      return;
    }
    const status = reply.kind === 'answer' ? reply.status : 200;
    stats.byStatus[String(status)] = (stats.byStatus[String(status)] ?? 0) + 1;
    if (reply.kind === 'huge') return sendHuge(res, reply.contact);
    if (reply.kind === 'neverEnd') return trickle(res);
    send(res, reply);
  };

  /** 10 MB of valid JSON, ID included, chunked (no Content-Length): only a capped read saves the client. */
  const sendHuge = async (res: ServerResponse, contact: StandinContact): Promise<void> => {
    const head = `{"payload":{"contact":${JSON.stringify(apiContact(contact))},"padding":"`;
    const tail = '"}}';
    const piece = 'x'.repeat(64 * 1024);
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.write(head);
    for (let left = HUGE_BODY_BYTES - Buffer.byteLength(head) - tail.length; left > 0; left -= piece.length) {
      if (res.destroyed || closing.signal.aborted) return;
      // A client that stops reading (as it should, past its cap) leaves us waiting for 'drain'
      // until it closes: wait for either.
      if (!res.write(left >= piece.length ? piece : piece.slice(0, left))) await drainedOrClosed(res);
    }
    if (!res.destroyed) res.end(tail);
  };

  /** 200 and a body start, then one byte every 100 ms until the client leaves or close(). */
  const trickle = (res: ServerResponse): void => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.write('{"payload":');
    const timer = setInterval(() => {
      if (!res.destroyed) res.write(' ');
    }, TRICKLE_MS);
    const stop = (): void => {
      clearInterval(timer);
      closing.signal.removeEventListener('abort', stop);
    };
    res.once('close', stop);
    closing.signal.addEventListener('abort', stop, { once: true });
  };

  // 'close' fires however the exchange ends (answered, reset, or a hung socket given up on).
  const trackInFlight = (res: ServerResponse) => {
    stats.requests++;
    inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
    res.once('close', () => inFlight--);
  };

  const admin = async (req: IncomingMessage, url: URL): Promise<Answer> => {
    const action = `${req.method} ${url.pathname}`;
    if (action === 'GET /_standin/contacts') return json(200, standin.contacts());
    if (action === 'GET /_standin/stats') return json(200, standin.stats());
    if (action === 'POST /_standin/reset') {
      standin.reset();
      return json(200, { ok: true });
    }
    if (action === 'POST /_standin/config') return configure(await readJsonObject(req));
    return json(404, { error: 'Not found' });
  };

  const configure = (body: Record<string, unknown>): Answer => {
    try {
      const unknownKey = Object.keys(body).find((key) => key !== 'faults' && key !== 'rateLimit');
      if (unknownKey !== undefined) throw new RangeError(`unknown config key "${unknownKey}"`);
      const next = body.faults === undefined ? faults : checkFaults(body.faults);
      if (body.rateLimit !== undefined) checkRateLimit(body.rateLimit);
      faults = next;
      if (typeof body.rateLimit === 'number') standin.setRateLimit(body.rateLimit);
      return json(200, { faults, rateLimit });
    } catch (error) {
      return json(400, { error: (error as Error).message });
    }
  };

  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const url = URL.canParse(req.url ?? '', BASE_URL) ? new URL(req.url ?? '', BASE_URL) : undefined;
      if (!url) {
        send(res, json(400, { error: 'Bad request target' }));
      } else if (url.pathname.startsWith('/api/')) {
        trackInFlight(res);
        await deliver(res, await apiReply(req, url));
      } else if (url.pathname.startsWith('/_standin/')) {
        send(res, await admin(req, url).catch((error: unknown) => bodyErrorReply(error) ?? Promise.reject(error)));
      } else {
        send(res, json(404, { error: 'Not found' }));
      }
    } catch (error) {
      failed(res, error);
    }
  };

  // Whatever went wrong (client gone mid-body, close() during latency, a bug), never crash.
  const failed = (res: ServerResponse, error: unknown) => {
    if (closing.signal.aborted || res.destroyed) return;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    send(res, internalError(error));
  };

  const server = createServer({ keepAlive: true }, (req, res) => void onRequest(req, res));
  // Clients keep a keep-alive pool; outlive their idle timeouts so they, not we, close sockets.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;

  const standin: Standin = {
    url: `http://${hostForUrl(host)}:${port}`,
    port,
    contacts: () => structuredClone([...store.all()]),
    stats: () => ({ ...structuredClone(stats), inFlight }),
    setFaults(f) {
      faults = checkFaults(f);
    },
    setRateLimit(n) {
      checkRateLimit(n);
      rateLimit = n;
      limiter.setLimit(n);
    },
    reset() {
      store.clear();
      limiter.clear();
      stats = { ...freshCounters(), maxInFlight: inFlight };
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
  return standin;
}

// A loopback HTTP server that imitates LiveDesk's contact API (see /work/shared/livedesk-api.md),
// with rate limiting and fault injection, for tests, the demo and benchmarks.
//
// This file holds the public face (options, startStandin, the Standin handle) and the HTTP front:
// which prefix goes where, the rate limit and credentials, latency, and delivering a reply. The
// contact endpoints are in api.ts, the /_standin/ endpoints in control.ts, the plumbing in http.ts.
import { randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { contactApi } from './api.js';
import { ContactStore, type StandinContact } from './contacts.js';
import { checkRateLimit, controlApi } from './control.js';
import { checkFaults, latencyFor, mulberry32, type StandinFaults } from './faults.js';
import { bodyErrorReply, credentialsOf, internalError, json, sameSecret, send, sendHuge, trickle, type Answer, type Reply } from './http.js';
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
  /** Requests answered by each fault (creates: resetBefore, error, redirect, badBody, neverEnd, …; updates: goneOnUpdate). */
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

type Counters = Omit<StandinStats, 'inFlight'>;

/**
 * What the handlers share. faults, rateLimit and stats are replaced while the stand-in runs
 * (config, reset): read them through this object each time, never keep a copy.
 */
export interface StandinState {
  faults: StandinFaults;
  rateLimit: number;
  stats: Counters;
  readonly store: ContactStore;
}

// Only the path and query of a request target matter; the base just makes relative targets parse.
const BASE_URL = 'http://standin.invalid';

function freshCounters(): Counters {
  return { requests: 0, creates: 0, byStatus: {}, maxInFlight: 0, rateLimited: 0, resets: 0, hangs: 0, byFault: {} };
}

function checkOptions(opts: StandinOptions): void {
  if (!opts.apiKey || !opts.apiSecret) throw new RangeError('apiKey and apiSecret must be non-empty');
  checkRateLimit(opts.rateLimit ?? 0);
  if (opts.faults) checkFaults(opts.faults);
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export async function startStandin(opts: StandinOptions): Promise<Standin> {
  checkOptions(opts);
  const host = opts.host ?? '127.0.0.1';
  const expectedCredentials = `${opts.apiKey}:${opts.apiSecret}`;
  const retryAfter = opts.retryAfter ?? 'none';
  const seed = opts.seed ?? randomInt(2 ** 32);
  const state: StandinState = {
    faults: { ...opts.faults },
    rateLimit: opts.rateLimit ?? 0,
    stats: freshCounters(),
    store: new ContactStore(),
  };
  const route = contactApi(state, {
    inboxes: new Set((opts.inboxIds ?? [407]).map(String)),
    legacyErrors: opts.legacyErrors,
    random: mulberry32(seed),
    // A second stream for the hostile modes, so that adding them left the classic faults' seeded
    // sequences as they were.
    hostileRandom: mulberry32((seed ^ 0x9e3779b9) >>> 0),
    updateRandom: mulberry32((seed ^ 0x85ebca6b) >>> 0),
    echoRandom: mulberry32((seed ^ 0xc2b2ae35) >>> 0),
  });
  const limiter = new SlidingWindow(opts.rateLimit ?? 0);
  // Aborted by close() so that pending latency timers neither delay shutdown nor answer later.
  const closing = new AbortController();
  let inFlight = 0;

  const rateLimited = (waitMs: number): Answer => {
    state.stats.rateLimited++;
    const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    if (retryAfter === 'seconds') headers['retry-after'] = String(seconds);
    // HTTP dates have whole seconds: round up so the date never lies about the wait.
    const until = Math.ceil(Date.now() / 1000 + seconds) * 1000;
    if (retryAfter === 'date') headers['retry-after'] = new Date(until).toUTCString();
    return { kind: 'answer', status: 429, body: 'Retry later', headers };
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
      state.stats.hangs++;
      return;
    }
    const delay = latencyFor(state.faults);
    if (delay > 0) await sleep(delay, undefined, { signal: closing.signal });
    if (res.destroyed) return;
    if (reply.kind === 'reset') {
      state.stats.resets++;
      res.socket?.destroy();
      return;
    }
    const status = reply.kind === 'answer' ? reply.status : 200;
    state.stats.byStatus[String(status)] = (state.stats.byStatus[String(status)] ?? 0) + 1;
    if (reply.kind === 'huge') return sendHuge(res, reply.contact, closing.signal);
    if (reply.kind === 'neverEnd') return trickle(res, closing.signal);
    send(res, reply);
  };

  // 'close' fires however the exchange ends (answered, reset, or a hung socket given up on).
  const trackInFlight = (res: ServerResponse) => {
    state.stats.requests++;
    inFlight++;
    state.stats.maxInFlight = Math.max(state.stats.maxInFlight, inFlight);
    res.once('close', () => inFlight--);
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
        send(res, await control(req, url).catch((error: unknown) => bodyErrorReply(error) ?? Promise.reject(error)));
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
    contacts: () => structuredClone([...state.store.all()]),
    stats: () => ({ ...structuredClone(state.stats), inFlight }),
    setFaults(f) {
      state.faults = checkFaults(f);
    },
    setRateLimit(n) {
      checkRateLimit(n);
      state.rateLimit = n;
      limiter.setLimit(n);
    },
    reset() {
      state.store.clear();
      limiter.clear();
      state.stats = { ...freshCounters(), maxInFlight: inFlight };
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
  // Set before any request is handled: listen's callback resumed us ahead of any socket I/O.
  const control = controlApi(state, standin);
  return standin;
}

// The network edge: one small interface over LiveDesk's HTTP API, so the rest of the pipeline can
// run against the stand-in, the real service, or a test double.
//
// What a hostile or broken server can do to it, and what stops it:
// - a huge body: read up to maxBodyBytes, then the connection is dropped and the answer flagged;
//   undici's Pool does not decompress, so a small gzip bomb stays small too;
// - a body that never ends: our own deadline covers the whole exchange (undici's bodyTimeout only
//   measures the gap between chunks, which a byte every 100 ms keeps resetting);
// - a redirect: the Pool never follows one (no redirect interceptor), so the credentials go
//   nowhere else; classify.ts stops the run on any 3xx;
// - a forged certificate: rejectUnauthorized is set here, so even NODE_TLS_REJECT_UNAUTHORIZED=0
//   in the environment cannot turn verification off;
// - an answer that echoes the credentials (a debugging gateway, a proxy repeating the request):
//   the body and headers are scrubbed here, where they become text (security/server-text.ts), so
//   no message, file or log built from them can carry a key, a secret or an Authorization value.
import { Pool, type Dispatcher } from 'undici';
import { serverTextScrubber, type ServerTextScrubber } from '../security/server-text.js';
import type { ContactFields, CreateContactBody } from '../types.js';

/** What came back from one HTTP exchange, body already read (and capped). */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The body is not the whole body: longer than the cap, or cut (see `incomplete`). */
  truncated: boolean;
  /**
   * The status line and headers arrived but the body did not finish: the deadline passed while it
   * was still coming (`timeout`), or the connection broke (`connection`). The status is what the
   * server decided; `body` is what came before the cut.
   */
  incomplete?: 'timeout' | 'connection';
}

export interface LiveDeskClient {
  /** POST a new contact. Rejects with a network or timeout error; never rejects on HTTP status. */
  createContact(body: CreateContactBody, signal?: AbortSignal): Promise<HttpAnswer>;
  /** GET the contact search (one page). */
  searchContacts(query: string, page: number, signal?: AbortSignal): Promise<HttpAnswer>;
  /** PATCH an existing contact (answered `{"payload":{…contact…}}`, not like create: see classifyUpdate). Rejects only as createContact does. */
  updateContact(id: string, fields: ContactFields, signal?: AbortSignal): Promise<HttpAnswer>;
  close(): Promise<void>;
}

export interface ClientOptions {
  baseUrl: string;
  apiKey: string;
  apiSecret: string;
  /** Sockets kept open; POSTs are never pipelined, so this bounds requests in flight. */
  connections: number;
  timeoutMs: number;
  /** Largest response body read; longer ones are cut and flagged. Default 1 MiB. */
  maxBodyBytes?: number;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Our own per-request deadline fired (as opposed to the run being cancelled). */
export class RequestTimeoutError extends Error {
  readonly code = 'REQUEST_TIMEOUT';
  constructor(ms: number) {
    super(`no complete answer within ${ms} ms`);
  }
}

/**
 * A failed exchange, as the client reports it: the original error's name, code and message (with
 * any trace of the credentials scrubbed), and nothing else. undici's errors carry objects (the
 * socket, a TLS certificate, a `cause`) that a logger would serialize whole; this carries none.
 */
export class LiveDeskRequestError extends Error {
  readonly code: string | undefined;
  constructor(name: string, code: string | undefined, message: string) {
    super(message);
    this.name = name;
    this.code = code;
  }
}

const CONTACTS_PATH = '/api/v2/accounts/contacts';

type Headers = HttpAnswer['headers'];

/** What an exchange needs from its client: shared by every exchange, built once. */
interface ExchangeEnv {
  readonly maxBody: number;
  readonly timeoutMs: number;
  readonly deadlines: DeadlineQueue;
  readonly sanitized: (err: unknown) => Error;
  /** Scrubs what the server said of the credentials, before anything reads it. */
  readonly scrub: ServerTextScrubber;
}

/**
 * Every exchange in flight, oldest first. They all share one timeout, so the order they started
 * in is the order their deadlines fall in, and one timer (armed for the oldest live deadline)
 * serves them all: no timer, AbortController or listener per request. Settled exchanges are
 * dropped from the front as they settle (answers come back roughly in order), so the line stays
 * about as long as the number of requests in flight; behind one slow request, the settled ones
 * are swept out once they outnumber the live ones four to one.
 */
export class DeadlineQueue {
  private head: Exchange | undefined;
  private tail: Exchange | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Exchanges in the line, and how many of them have not settled. */
  private length = 0;
  private live = 0;

  constructor(private readonly ms: number) {}

  add(x: Exchange): void {
    x.deadline = performance.now() + this.ms;
    if (this.tail) this.tail.nextInLine = x;
    else this.head = x;
    this.tail = x;
    this.length++;
    this.live++;
    if (!this.timer) this.arm();
  }

  /** An exchange in the line settled: drop the settled ones at the front; no timer once none is left. */
  settled(): void {
    this.live--;
    while (this.head?.done) this.shift();
    if (!this.head && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.length > 1024 && this.length > 4 * this.live) this.sweep();
  }

  private shift(): Exchange {
    const x = this.head!;
    this.head = x.nextInLine;
    x.nextInLine = undefined;
    this.length--;
    if (!this.head) this.tail = undefined;
    return x;
  }

  /** Unlinks every settled exchange (the head is live, so the timer stays as it is). */
  private sweep(): void {
    let last: Exchange | undefined;
    let length = 0;
    for (let x = this.head; x; ) {
      const next = x.nextInLine;
      if (x.done) {
        x.nextInLine = undefined;
      } else {
        if (last) last.nextInLine = x;
        else this.head = x;
        last = x;
        length++;
      }
      x = next;
    }
    if (last) last.nextInLine = undefined;
    else this.head = undefined;
    this.tail = last;
    this.length = length;
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.head) return;
    // Node's timers may run a little early by performance.now(): fire() then re-arms for the rest.
    this.timer = setTimeout(this.fire, Math.max(1, Math.ceil(this.head.deadline - performance.now())));
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    const now = performance.now();
    while (this.head && (this.head.done || this.head.deadline <= now)) {
      const x = this.shift();
      if (!x.done) x.expire();
    }
    this.arm();
  };
}

/**
 * One HTTP exchange as an undici dispatch handler: the answer's status, headers and (capped) body
 * are collected straight from the connection, with no stream in between.
 */
class Exchange implements Dispatcher.DispatchHandler {
  /** performance.now() by which the whole answer must have been read. */
  deadline = 0;
  /** The next exchange in the deadline line. */
  nextInLine: Exchange | undefined;
  done = false;
  private controller: Dispatcher.DispatchController | undefined;
  /** Why we ended the exchange ourselves (deadline, run stopped, body cap): given to undici if it starts it late. */
  private endReason: unknown;
  private status = 0;
  private headers: Headers = {};
  private chunks: Buffer[] = [];
  private size = 0;
  private readonly onRunAbort: (() => void) | undefined;

  constructor(
    private readonly env: ExchangeEnv,
    private readonly resolve: (a: HttpAnswer) => void,
    private readonly reject: (e: Error) => void,
    private readonly signal: AbortSignal | undefined,
  ) {
    if (signal) {
      this.onRunAbort = (): void => {
        if (this.done) return;
        // The run was cancelled: that is not something the server said.
        this.fail(env.sanitized(signal.reason));
        this.end(signal.reason);
      };
      signal.addEventListener('abort', this.onRunAbort, { once: true });
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.done) {
      // Ended while it waited for a connection: it is never written.
      controller.abort(this.endReason as Error);
      return;
    }
    this.controller = controller;
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Headers): void {
    if (this.done || statusCode < 200) return;
    this.status = statusCode;
    this.headers = headers;
    // A declared length over the cap: no point reading the first MiB of it.
    const declared = Number(headers['content-length']);
    if (Number.isFinite(declared) && declared > this.env.maxBody) {
      this.finish('', true);
      this.end(new Error('response body over the size limit'), controller);
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.done) return;
    const max = this.env.maxBody;
    if (this.size + chunk.length > max) {
      this.chunks.push(chunk.subarray(0, max - this.size));
      this.finish(this.text(), true);
      // Aborting closes this connection rather than reading the rest of the body.
      this.end(new Error('response body over the size limit'), controller);
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  onResponseEnd(): void {
    if (this.done) return;
    this.finish(this.text(), false);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.done) return;
    if (this.status === 0) {
      this.fail(this.env.sanitized(err));
      return;
    }
    // The run was cancelled mid-body: that is not something the server said.
    if (this.signal?.aborted) {
      this.fail(this.env.sanitized(err));
      return;
    }
    // The status line already told what the server decided (a 200 means the contact was stored);
    // the cut body only loses the details, so answer with what arrived. undici's own bodyTimeout
    // (a silent gap) is a timeout too, as is our deadline.
    const timeout = (err as { code?: unknown } | null)?.code === 'UND_ERR_BODY_TIMEOUT';
    this.finish(this.text(), true, timeout ? 'timeout' : 'connection');
  }

  /** The deadline passed: a timeout error before the headers, the cut answer after them. */
  expire(): void {
    const err = new RequestTimeoutError(this.env.timeoutMs);
    if (this.status === 0) this.fail(err);
    else this.finish(this.text(), true, 'timeout');
    this.end(err);
  }

  private text(): string {
    const c = this.chunks;
    if (c.length === 0) return '';
    return (c.length === 1 ? c[0]! : Buffer.concat(c)).toString('utf8');
  }

  /** Stop undici's side of the exchange (now, or as soon as it starts it). */
  private end(reason: unknown, controller = this.controller): void {
    this.endReason = reason;
    controller?.abort(reason as Error);
  }

  private settle(): void {
    this.done = true;
    this.chunks = [];
    if (this.onRunAbort) this.signal!.removeEventListener('abort', this.onRunAbort);
    this.env.deadlines.settled();
  }

  private finish(raw: string, truncated: boolean, incomplete?: HttpAnswer['incomplete']): void {
    this.settle();
    // The one place an answer becomes text: nothing the server echoed of the credentials passes.
    const { scrub } = this.env;
    const body = truncated ? scrub.cutText(raw) : scrub.text(raw);
    this.resolve({ status: this.status, headers: scrub.headers(this.headers), body, truncated, ...(incomplete === undefined ? {} : { incomplete }) });
  }

  private fail(err: Error): void {
    this.settle();
    this.reject(err);
  }
}

export function createClient(opts: ClientOptions): LiveDeskClient {
  const url = new URL(opts.baseUrl);
  const basePath = url.pathname.replace(/\/+$/, '');
  const pool = new Pool(url.origin, {
    connections: opts.connections,
    keepAliveTimeout: 30_000,
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    connect: { rejectUnauthorized: true },
  });
  // Built once: the secret lives only in this closure and in the header sent on the wire.
  const token = Buffer.from(`${opts.apiKey}:${opts.apiSecret}`).toString('base64');
  const authorization = 'Basic ' + token;
  const scrubber = serverTextScrubber(opts.apiKey, opts.apiSecret);
  // undici only reads these: one object each serves every request.
  const headersWithBody = { authorization, accept: 'application/json', 'content-type': 'application/json' };
  const headersNoBody = { authorization, accept: 'application/json' };

  const sanitized = (err: unknown): Error => {
    if (err instanceof RequestTimeoutError) return err;
    const e = (err ?? {}) as { name?: unknown; code?: unknown; message?: unknown; cause?: { code?: unknown } };
    const code = typeof e.code === 'string' ? e.code : typeof e.cause?.code === 'string' ? e.cause.code : undefined;
    const name = typeof e.name === 'string' ? e.name : 'Error';
    const message = typeof e.message === 'string' ? e.message : typeof err === 'string' ? err : String(err);
    return new LiveDeskRequestError(name, code, scrubber.text(message));
  };

  const env: ExchangeEnv = { maxBody: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, timeoutMs: opts.timeoutMs, deadlines: new DeadlineQueue(opts.timeoutMs), sanitized, scrub: scrubber };

  /**
   * One request, its answer read whole (up to maxBody) within timeoutMs of the call. The deadline
   * covers the whole exchange: undici's headersTimeout / bodyTimeout only measure silent gaps, which
   * a byte every 100 ms keeps resetting.
   */
  function exchange(method: 'GET' | 'POST' | 'PATCH', path: string, body: string | undefined, signal: AbortSignal | undefined): Promise<HttpAnswer> {
    return new Promise<HttpAnswer>((resolve, reject) => {
      const x = new Exchange(env, resolve, reject, signal);
      env.deadlines.add(x);
      pool.dispatch({ method, path: basePath + path, headers: body === undefined ? headersNoBody : headersWithBody, body }, x);
    });
  }

  return {
    createContact: (contact, signal) => exchange('POST', CONTACTS_PATH, JSON.stringify(contact), signal),
    searchContacts: (query, page, signal) =>
      exchange('GET', `${CONTACTS_PATH}?q=${encodeURIComponent(query)}&page=${page}`, undefined, signal),
    updateContact: (id, fields, signal) => exchange('PATCH', `${CONTACTS_PATH}/${encodeURIComponent(id)}`, JSON.stringify(fields), signal),
    close: async () => {
      await pool.close();
    },
  };
}

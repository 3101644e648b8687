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
//   in the environment cannot turn verification off.
import { Pool } from 'undici';
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
  /** PATCH an existing contact; answers like create. Rejects only as createContact does. */
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
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const secrets = [token, opts.apiSecret, opts.apiKey].filter((s) => s.length >= 4);

  const scrub = (text: string): string => secrets.reduce((t, s) => t.split(s).join('[redacted]'), text);

  const sanitized = (err: unknown): Error => {
    if (err instanceof RequestTimeoutError) return err;
    const e = (err ?? {}) as { name?: unknown; code?: unknown; message?: unknown; cause?: { code?: unknown } };
    const code = typeof e.code === 'string' ? e.code : typeof e.cause?.code === 'string' ? e.cause.code : undefined;
    const name = typeof e.name === 'string' ? e.name : 'Error';
    const message = typeof e.message === 'string' ? e.message : typeof err === 'string' ? err : String(err);
    return new LiveDeskRequestError(name, code, scrub(message));
  };

  async function exchange(
    method: 'GET' | 'POST' | 'PATCH',
    path: string,
    body: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<HttpAnswer> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new RequestTimeoutError(opts.timeoutMs)), opts.timeoutMs);
    const onRunAbort = (): void => deadline.abort(signal?.reason);
    signal?.addEventListener('abort', onRunAbort, { once: true });
    const timedOut = (): boolean => deadline.signal.aborted && deadline.signal.reason instanceof RequestTimeoutError;
    try {
      let res;
      try {
        res = await pool.request({
          method,
          path: basePath + path,
          headers: {
            authorization,
            accept: 'application/json',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body,
          signal: deadline.signal,
        });
      } catch (err) {
        // undici reports an aborted request with the abort reason or its own AbortError; surface
        // our deadline as a timeout so it is classified as one.
        throw sanitized(timedOut() ? deadline.signal.reason : err);
      }
      const answer = (text: string, truncated: boolean, incomplete?: HttpAnswer['incomplete']): HttpAnswer => ({
        status: res.statusCode,
        headers: res.headers,
        body: text,
        truncated,
        ...(incomplete === undefined ? {} : { incomplete }),
      });
      // A declared length over the cap: no point reading the first MiB of it.
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBody) {
        res.body.destroy();
        return answer('', true);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      try {
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          if (size + chunk.length > maxBody) {
            chunks.push(chunk.subarray(0, maxBody - size));
            // Leaving the loop destroys the body, which closes this connection rather than
            // reading the rest of it.
            return answer(Buffer.concat(chunks).toString('utf8'), true);
          }
          chunks.push(chunk);
          size += chunk.length;
        }
      } catch (err) {
        // The run was cancelled: that is not something the server said.
        if (signal?.aborted && !timedOut()) throw sanitized(err);
        // The status line already told what the server decided (a 200 means the contact was
        // stored); the cut body only loses the details, so answer with what arrived.
        res.body.destroy();
        // undici's own bodyTimeout (a silent gap) is a timeout too, whichever of the two fired first.
        const timeout = timedOut() || (err as { code?: unknown } | null)?.code === 'UND_ERR_BODY_TIMEOUT';
        return answer(Buffer.concat(chunks).toString('utf8'), true, timeout ? 'timeout' : 'connection');
      }
      return answer(Buffer.concat(chunks).toString('utf8'), false);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onRunAbort);
    }
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

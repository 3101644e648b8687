// The network edge: one small interface over LiveDesk's HTTP API, so the rest of the pipeline can
// run against the stand-in, the real service, or a test double.
import { Pool } from 'undici';
import type { CreateContactBody } from '../types.js';

/** What came back from one HTTP exchange, body already read (and capped). */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The body was longer than the cap and was cut. */
  truncated: boolean;
}

export interface LiveDeskClient {
  /** POST a new contact. Rejects with a network or timeout error; never rejects on HTTP status. */
  createContact(body: CreateContactBody, signal?: AbortSignal): Promise<HttpAnswer>;
  /** GET the contact search (one page). */
  searchContacts(query: string, page: number, signal?: AbortSignal): Promise<HttpAnswer>;
  close(): Promise<void>;
}

export interface ClientOptions {
  baseUrl: string;
  apiKey: string;
  apiSecret: string;
  /** Sockets kept open; POSTs are never pipelined, so this bounds requests in flight. */
  connections: number;
  timeoutMs: number;
  /** Largest response body read; longer ones are cut and flagged. */
  maxBodyBytes?: number;
}

/** Our own per-request deadline fired (as opposed to the run being cancelled). */
export class RequestTimeoutError extends Error {
  readonly code = 'REQUEST_TIMEOUT';
  constructor(ms: number) {
    super(`no complete answer within ${ms} ms`);
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
  });
  // Built once: the secret lives only in this closure and in the header sent on the wire.
  const authorization = 'Basic ' + Buffer.from(`${opts.apiKey}:${opts.apiSecret}`).toString('base64');
  const maxBody = opts.maxBodyBytes ?? 1024 * 1024;

  async function exchange(
    method: 'GET' | 'POST',
    path: string,
    body: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<HttpAnswer> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new RequestTimeoutError(opts.timeoutMs)), opts.timeoutMs);
    const onRunAbort = (): void => deadline.abort(signal?.reason);
    signal?.addEventListener('abort', onRunAbort, { once: true });
    try {
      const res = await pool.request({
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
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        if (size + chunk.length > maxBody) {
          chunks.push(chunk.subarray(0, maxBody - size));
          truncated = true;
          res.body.destroy();
          break;
        }
        chunks.push(chunk);
        size += chunk.length;
      }
      return { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), truncated };
    } catch (err) {
      // undici reports an aborted request with the abort reason or its own AbortError; surface
      // our deadline as a timeout so it is classified as one.
      if (deadline.signal.aborted && deadline.signal.reason instanceof RequestTimeoutError) throw deadline.signal.reason;
      throw err;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onRunAbort);
    }
  }

  return {
    createContact: (contact, signal) => exchange('POST', CONTACTS_PATH, JSON.stringify(contact), signal),
    searchContacts: (query, page, signal) =>
      exchange('GET', `${CONTACTS_PATH}?q=${encodeURIComponent(query)}&page=${page}`, undefined, signal),
    close: async () => {
      await pool.close();
    },
  };
}

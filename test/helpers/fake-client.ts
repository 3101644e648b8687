// A scripted LiveDeskClient for the send stage's unit tests: each call takes the next scripted
// answer for its kind (create / search / update), and every call is recorded in order, so a test
// can assert both the outcome and exactly which requests were made, with which bodies. Below it,
// the sender's harness the send-*.test.ts files share.
import { expect } from 'vitest';
import type { HttpAnswer, LiveDeskClient } from '../../src/send/client.js';
import { RequestTimeoutError } from '../../src/send/client.js';
import { KeyLock } from '../../src/send/key-lock.js';
import { RatePacer } from '../../src/send/rate.js';
import type { RetryClass } from '../../src/send/request.js';
import type { SenderContext } from '../../src/send/sender.js';
import type { ContactFields, ContactPayload, CreateContactBody, ValidRow } from '../../src/types.js';

/** One scripted reply: an HTTP answer, a thrown network error, or a function computing either. */
export type Reply = HttpAnswer | { throws: Error } | (() => HttpAnswer | { throws: Error } | Promise<HttpAnswer | { throws: Error }>);

export type Seen =
  | { op: 'create'; body: CreateContactBody }
  | { op: 'search'; query: string; page: number }
  | { op: 'update'; id: string; fields: ContactFields };

export interface Script {
  create?: Reply[];
  search?: Reply[];
  update?: Reply[];
}

/** An HTTP answer; a body that is not a string is sent as JSON. */
export function http(status: number, body: unknown = '', headers: HttpAnswer['headers'] = {}): HttpAnswer {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return { status, headers: typeof body === 'string' ? headers : { 'content-type': 'application/json', ...headers }, body: text, truncated: false };
}

/** A network failure as the client reports it: an Error with a `code` (ECONNRESET, ECONNREFUSED, …). */
export function netError(code: string, message = `${code} from the fake`): { throws: Error } {
  return { throws: Object.assign(new Error(message), { code }) };
}

/** Our own deadline fired: the client's RequestTimeoutError. */
export function timeout(ms = 400): { throws: Error } {
  return { throws: new RequestTimeoutError(ms) };
}

export const created = (id: number | string): HttpAnswer => http(200, { payload: { contact: { id, name: 'x' }, contact_inbox: { inbox: null, source_id: null } } });
export const taken = (message = 'Email has already been taken', attributes: string[] = ['email']): HttpAnswer => http(422, { message, attributes });
export const found = (...contacts: Array<Record<string, unknown>>): HttpAnswer => http(200, { meta: { count: contacts.length, current_page: 1 }, payload: contacts });
export const none = (): HttpAnswer => found();

export class FakeClient implements LiveDeskClient {
  readonly seen: Seen[] = [];
  /** Calls that found no scripted reply (a test asserting `seen` also catches them). */
  readonly unscripted: Seen[] = [];
  closed = false;

  constructor(private readonly script: Script = {}) {}

  createContact(body: CreateContactBody): Promise<HttpAnswer> {
    return this.reply({ op: 'create', body: structuredClone(body) }, this.script.create);
  }

  searchContacts(query: string, page: number): Promise<HttpAnswer> {
    return this.reply({ op: 'search', query, page }, this.script.search);
  }

  updateContact(id: string, fields: ContactFields): Promise<HttpAnswer> {
    return this.reply({ op: 'update', id, fields: structuredClone(fields) }, this.script.update);
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  /** The kinds of call made, in order: `['create', 'search', 'update']`. */
  get ops(): Array<Seen['op']> {
    return this.seen.map((s) => s.op);
  }

  private async reply(call: Seen, queue: Reply[] | undefined): Promise<HttpAnswer> {
    this.seen.push(call);
    const next = queue?.shift();
    if (next === undefined) {
      this.unscripted.push(call);
      // An answer nothing reads as a success; the test's assertion on `seen` names the extra call.
      return http(418, { error: `unscripted ${call.op} call in the fake client` });
    }
    const r = typeof next === 'function' ? await next() : next;
    if ('throws' in r) throw r.throws;
    return r;
  }
}

// The sender's harness: a fake client, a real pacer at a rate that never waits, a backoff of a
// millisecond or two, and a record of the sent marks and retries.
const TINY = { baseMs: 1, maxMs: 2, maxRetryAfterMs: 5 };
export const INBOX = 407;
const BASE_URL = 'http://127.0.0.1:9';

export function row(contact: ContactPayload, n = 7): ValidRow {
  return { kind: 'ready', row: n, line: n + 1, values: Object.values(contact) as string[], contact };
}

export interface Harness {
  ctx: SenderContext;
  client: FakeClient;
  stopper: AbortController;
  /** markSent calls: the row, and how many requests the fake had seen at that moment. */
  marks: Array<{ row: number; requestsBefore: number }>;
  retries: Array<{ code: string; delayMs: number }>;
}

export function harness(script: Script, opts: Partial<SenderContext> = {}): Harness {
  const client = new FakeClient(script);
  const stopper = new AbortController();
  const marks: Harness['marks'] = [];
  const retries: Harness['retries'] = [];
  const ctx: SenderContext = {
    client,
    pacer: new RatePacer(1_000_000),
    stop: stopper.signal,
    stats: { requests: 0, retries: 0 },
    retries: 2,
    backoff: TINY,
    inboxId: INBOX,
    baseUrl: BASE_URL,
    keyLock: new KeyLock(),
    onExisting: 'skip',
    phoneTaken: 'fail',
    markSent: (r) => marks.push({ row: r, requestsBefore: client.seen.length }),
    onRetry: (c: RetryClass, delayMs: number) => retries.push({ code: c.code, delayMs }),
    ...opts,
  };
  return { ctx, client, stopper, marks, retries };
}

/** Every row that sent anything: marked once, before its first request; nothing unscripted; locks released. */
export function expectSentOnce(h: Harness, rowNumber = 7): void {
  expect(h.marks).toEqual([{ row: rowNumber, requestsBefore: 0 }]);
  expect(h.client.unscripted).toEqual([]);
  expect(h.ctx.keyLock.size).toBe(0);
  expect(h.ctx.stats.requests).toBe(h.client.seen.length);
}

export const ada = { name: 'Ada Lovelace', email: 'ada@example.com' };
export const createBody = (c: ContactPayload) => ({ op: 'create', body: { inbox_id: INBOX, ...c } });
export const search = (query: string, page = 1) => ({ op: 'search', query, page });
/** Chatwoot's update answer: the contact straight under payload. */
export const updated = (contact: Record<string, unknown>): HttpAnswer => http(200, { payload: contact });

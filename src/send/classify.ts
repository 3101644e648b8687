// Every HTTP answer and network error is classified here, once; the rest of the pipeline reads
// only the class. Pure: no I/O, the clock is passed in.
import type { ErrorCode } from '../types.js';
import type { HttpAnswer } from './client.js';

export type RetryCode = Extract<ErrorCode, 'server_error' | 'rate_limited' | 'network' | 'timeout'>;

export type Classified =
  | { kind: 'success'; contactId: string }
  | {
      kind: 'retry';
      code: RetryCode;
      message: string;
      /** Server asked for this wait (Retry-After), in ms. */
      retryAfterMs?: number;
      /** The request may have reached LiveDesk and created the contact. */
      ambiguous: boolean;
    }
  | { kind: 'row'; code: Extract<ErrorCode, 'rejected' | 'bad_response'>; message: string; taken: boolean }
  | { kind: 'fatal'; message: string };

export interface ClassifyContext {
  inboxId: string;
  baseUrl: string;
  now: number;
}

const MAX_MESSAGE = 300;

function clip(s: string): string {
  const oneLine = s.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_MESSAGE ? oneLine.slice(0, MAX_MESSAGE) + '…' : oneLine;
}

function header(a: HttpAnswer, name: string): string | undefined {
  const v = a.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Retry-After is either delta-seconds or an HTTP date; anything else is ignored. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** LiveDesk's error text: `message` (422), `error` (401/404), or the raw body. */
export function serverMessage(a: HttpAnswer): string {
  try {
    const parsed: unknown = JSON.parse(a.body);
    if (parsed && typeof parsed === 'object') {
      const o = parsed as Record<string, unknown>;
      if (typeof o.message === 'string' && o.message) return clip(o.message);
      if (typeof o.error === 'string' && o.error) return clip(o.error);
      if (Array.isArray(o.errors)) return clip(o.errors.map(String).join(', '));
    }
  } catch {
    // not JSON: fall through to the text itself
  }
  return clip(a.body) || '(empty body)';
}

/** The new contact's ID from a create answer; the docs call it a string, the example a number. */
export function contactIdOf(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const id = (parsed as { payload?: { contact?: { id?: unknown } } } | null)?.payload?.contact?.id;
  if (typeof id === 'number' && Number.isFinite(id)) return String(id);
  if (typeof id === 'string' && id.trim() !== '') return id.trim();
  return undefined;
}

export function classifyAnswer(a: HttpAnswer, ctx: ClassifyContext): Classified {
  const s = a.status;
  if (s >= 200 && s < 300) {
    const id = a.truncated ? undefined : contactIdOf(a.body);
    if (id !== undefined) return { kind: 'success', contactId: id };
    return {
      kind: 'row',
      code: 'bad_response',
      taken: false,
      message: `LiveDesk answered HTTP ${s} without a contact ID (${a.truncated ? 'body too large' : clip(a.body) || 'empty body'}); the contact may exist: check LiveDesk before importing this row again`,
    };
  }
  if (s === 401 || s === 403) {
    return {
      kind: 'fatal',
      message: `LiveDesk refused the credentials (HTTP ${s}: ${serverMessage(a)}). Check LIVEDESK_API_KEY and LIVEDESK_API_SECRET (Project Settings - API Management) and that --base-url ${ctx.baseUrl} is your LiveDesk API`,
    };
  }
  if (s === 404) {
    return {
      kind: 'fatal',
      message: `LiveDesk answered 404 (${serverMessage(a)}): inbox ${ctx.inboxId} was not found, or --base-url ${ctx.baseUrl} is not the LiveDesk API. Check --inbox-id (Project Settings - Channels - channel - Settings)`,
    };
  }
  if (s >= 300 && s < 400) {
    return {
      kind: 'fatal',
      message: `LiveDesk answered a redirect (HTTP ${s} to ${header(a, 'location') ?? '?'}); redirects are not followed with credentials: check --base-url ${ctx.baseUrl}`,
    };
  }
  if (s === 429) {
    const retryAfterMs = parseRetryAfter(header(a, 'retry-after'), ctx.now);
    return {
      kind: 'retry',
      code: 'rate_limited',
      ambiguous: false,
      message: `rate limited by LiveDesk (HTTP 429${retryAfterMs === undefined ? '' : `, Retry-After ${header(a, 'retry-after')}`})`,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }
  if (s === 408) {
    return { kind: 'retry', code: 'timeout', ambiguous: true, message: 'LiveDesk answered 408 Request Timeout' };
  }
  if (s >= 500) {
    const retryAfterMs = parseRetryAfter(header(a, 'retry-after'), ctx.now);
    return {
      kind: 'retry',
      code: 'server_error',
      // A gateway timeout says nothing about whether the backend stored the contact.
      ambiguous: s === 504,
      message: `LiveDesk server error (HTTP ${s}: ${serverMessage(a)})`,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }
  const message = serverMessage(a);
  return {
    kind: 'row',
    code: 'rejected',
    taken: s === 422 && /already been taken/i.test(message),
    message: `LiveDesk rejected the row (HTTP ${s}): ${message}`,
  };
}

const NOT_SENT_NETWORK = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

export function classifyError(err: unknown): Classified {
  const e = err as { code?: string; message?: string; name?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code;
  const detail = code ?? e?.name ?? 'error';
  if (code === 'REQUEST_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return { kind: 'retry', code: 'timeout', ambiguous: true, message: `request timed out (${e.message ?? code})` };
  }
  if (code !== undefined && NOT_SENT_NETWORK.has(code)) {
    return { kind: 'retry', code: 'network', ambiguous: false, message: `cannot connect to LiveDesk (${detail})` };
  }
  return {
    kind: 'retry',
    code: 'network',
    // A reset or closed socket may come after LiveDesk stored the contact: assume it might have.
    ambiguous: true,
    message: `connection to LiveDesk failed (${detail}${e?.message ? `: ${clip(e.message)}` : ''})`,
  };
}

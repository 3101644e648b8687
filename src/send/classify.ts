// Every HTTP answer and network error is classified here, once; the rest of the pipeline reads
// only the class. Pure: no I/O, the clock is passed in.
import type { ErrorCode, RetryCode } from '../errors.js';
import { scrubAuthorization } from '../security/server-text.js';
import { checkContactId, inexactIds, type IdCheck } from './contact-id.js';
import type { HttpAnswer } from './client.js';
import type { UniqueKey } from './identity.js';

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
  | {
      kind: 'row';
      code: Extract<ErrorCode, 'rejected' | 'bad_response' | 'not_found'>;
      message: string;
      taken: boolean;
      /** With `taken`: the keys another contact holds (422 `attributes`, else its message); absent when neither says. */
      takenKeys?: UniqueKey[];
      /** The contact field LiveDesk named (422 `attributes`, or its message), for people to find the cell. */
      field?: string;
      /**
       * A 2xx whose body gave no ID: the status says LiveDesk stored it. Why the ID could not be
       * read, in the person's terms (the sender looks the contact up by its keys).
       */
      unread?: string;
    }
  | { kind: 'fatal'; message: string };

/** Everything but success: what a request that did not land says. */
export type NotLanded = Exclude<Classified, { kind: 'success' }>;

export interface ClassifyContext {
  inboxId: string;
  baseUrl: string;
  now: number;
}

const MAX_MESSAGE = 300;

// Text from the server ends up on a terminal and in the failures file: control characters (an
// ANSI escape could rewrite the screen) and bidi overrides (which reorder what a person reads)
// become spaces before anything else.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function clip(s: string, max = MAX_MESSAGE): string {
  // Cut before cleaning: a hostile body can be a megabyte, and only its start is shown.
  const head = s.length > max * 4 ? s.slice(0, max * 4) : s;
  const oneLine = head.replace(UNPRINTABLE, ' ').replace(/\s+/g, ' ').trim();
  return oneLine.length > max || head.length < s.length ? oneLine.slice(0, max) + '…' : oneLine;
}

/**
 * An error message that did not come through the client (which scrubs the answers and errors it
 * hands over) loses any Authorization value, Bearer or Basic token, or URL password.
 */
const scrubAuth = scrubAuthorization;

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
  const c = readCreateId(body);
  return c?.ok ? c.id : undefined;
}

/**
 * The contact's ID from an update answer. Chatwoot's update.json.jbuilder renders the contact
 * straight under `payload`; LiveDesk does not document it, so the create's shape is read too.
 */
export function updatedIdOf(body: string): string | undefined {
  const c = readUpdateId(body);
  return c?.ok ? c.id : undefined;
}

/** The create answer's ID, checked (contact-id.ts); undefined when the body is not JSON. */
function readCreateId(body: string): IdCheck | undefined {
  const parsed = parseJson(body);
  if (parsed === NOT_JSON) return undefined;
  return checkContactId((parsed as { payload?: { contact?: { id?: unknown } } } | null)?.payload?.contact?.id, inexactIds(body));
}

function readUpdateId(body: string): IdCheck | undefined {
  const parsed = parseJson(body);
  if (parsed === NOT_JSON) return undefined;
  const payload = (parsed as { payload?: { id?: unknown; contact?: { id?: unknown } } } | null)?.payload;
  const inexact = inexactIds(body);
  const direct = checkContactId(payload?.id, inexact);
  if (direct.ok || payload?.id !== undefined) return direct;
  return checkContactId(payload?.contact?.id, inexact);
}

const NOT_JSON = Symbol('not JSON');

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return NOT_JSON;
  }
}

function isJson(body: string): boolean {
  try {
    JSON.parse(body);
    return true;
  } catch {
    return false;
  }
}

/** Why a 2xx answer gave no contact ID, in the person's terms. */
function missingIdReason(a: HttpAnswer, where = 'payload.contact.id'): string {
  if (a.incomplete === 'timeout') return 'its body did not finish within --timeout, so no contact ID was read';
  if (a.incomplete === 'connection') return 'the connection broke before its body finished, so no contact ID was read';
  if (a.truncated) return 'its body was too large to be a create answer (cut at the size limit)';
  if (a.body.trim() === '') return 'its body was empty';
  const type = header(a, 'content-type');
  if (!isJson(a.body)) return `its body is not JSON (${type ? `${clip(type, 60)}: ` : ''}${clip(a.body, 120)})`;
  // An ID that is there but unusable: say why (the body's start would not show a rounded number).
  const check = where === 'payload.contact.id' ? readCreateId(a.body) : readUpdateId(a.body);
  if (check !== undefined && !check.ok && check.why !== 'there is no ID') return `its ${where} cannot be recorded: ${check.why}`;
  return `its JSON has no usable ${where} (${clip(a.body, 120)})`;
}

export function classifyAnswer(a: HttpAnswer, ctx: ClassifyContext): Classified {
  const s = a.status;
  if (s >= 200 && s < 300) {
    // A cut body is never trusted for an ID, even when the part that came parses.
    const id = a.truncated || a.incomplete !== undefined ? undefined : contactIdOf(a.body);
    if (id !== undefined) return { kind: 'success', contactId: id };
    // Not retried: the status says the contact was stored, so a resend would at best be refused
    // as a duplicate and at worst (a row with no unique key) create a second copy.
    const unread = `LiveDesk answered HTTP ${s} but ${missingIdReason(a)}`;
    return {
      kind: 'row',
      code: 'bad_response',
      taken: false,
      message: `${unread}; the contact was most likely created: check LiveDesk before importing this row again`,
      unread,
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
      message: `LiveDesk answered a redirect (HTTP ${s} to ${clip(header(a, 'location') ?? '(no Location)', 200)}); redirects are never followed, so the credentials are not sent elsewhere: check --base-url ${ctx.baseUrl} (is it the API's own https:// address?)`,
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
  const field = rejectedField(a.body, message);
  const taken = s === 422 && /already been taken/i.test(message);
  const takenKeys = taken ? takenKeysOf(a.body, message) : undefined;
  return {
    kind: 'row',
    code: 'rejected',
    taken,
    message: `LiveDesk rejected the row (HTTP ${s}): ${message}`,
    ...(takenKeys === undefined ? {} : { takenKeys }),
    ...(field === undefined ? {} : { field }),
  };
}

/**
 * An update's answer (PATCH of contact `id`): the ID in either shape, and a 404 that is about the
 * contact (deleted since it was found), not the inbox or the address: the row fails, the run goes on.
 */
export function classifyUpdate(a: HttpAnswer, id: string, ctx: ClassifyContext): Classified {
  const s = a.status;
  if (s >= 200 && s < 300) {
    const answered = a.truncated || a.incomplete !== undefined ? undefined : updatedIdOf(a.body);
    if (answered === id) return { kind: 'success', contactId: id };
    const why = answered === undefined ? missingIdReason(a, 'payload.id or payload.contact.id') : `it names contact ${answered}, not ${id}`;
    return {
      kind: 'row',
      code: 'bad_response',
      taken: false,
      message: `LiveDesk answered HTTP ${s} to the update of contact ${id} but ${why}; the update was most likely applied: check contact ${id} in LiveDesk`,
    };
  }
  if (s === 404) {
    return {
      kind: 'row',
      code: 'not_found',
      taken: false,
      message: `LiveDesk contact ${id} was not found when updating it (HTTP 404: ${serverMessage(a)}): it was deleted after the search found it. Import the row again to create it`,
    };
  }
  return classifyAnswer(a, ctx);
}

const UNIQUE_ATTRIBUTES: ReadonlySet<string> = new Set<UniqueKey>(['identifier', 'email', 'phone_number']);
const TAKEN_IN_MESSAGE: ReadonlyArray<[RegExp, UniqueKey]> = [
  [/\bidentifier has already been taken/i, 'identifier'],
  [/\bemail has already been taken/i, 'email'],
  [/\bphone number has already been taken/i, 'phone_number'],
];

/**
 * The keys a 422 says are taken. `attributes` lists every field with an error, format errors
 * included, so the message ("Email has already been taken, Phone number should be in e164
 * format") narrows it when it names them; older Chatwoot sends the message alone.
 */
function takenKeysOf(body: string, message: string): UniqueKey[] | undefined {
  const named = TAKEN_IN_MESSAGE.filter(([re]) => re.test(message)).map(([, k]) => k);
  let attrs: UniqueKey[] = [];
  try {
    const list = (JSON.parse(body) as { attributes?: unknown } | null)?.attributes;
    if (Array.isArray(list)) attrs = list.filter((x): x is UniqueKey => typeof x === 'string' && UNIQUE_ATTRIBUTES.has(x));
  } catch {
    // not JSON: the message alone
  }
  const both = attrs.filter((k) => named.includes(k));
  const keys = both.length > 0 ? both : attrs.length > 0 ? attrs : named;
  return keys.length > 0 ? [...new Set(keys)] : undefined;
}

const CONTACT_ATTRIBUTES = new Set(['name', 'email', 'phone_number', 'identifier', 'avatar_url']);
// Older Chatwoot sends only `message`, worded per attribute ("Email has already been taken",
// "Phone number should be in e164 format").
const FIELD_IN_MESSAGE: ReadonlyArray<[RegExp, string]> = [
  [/\bemail\b/i, 'email'],
  [/\bphone/i, 'phone_number'],
  [/\bidentifier\b/i, 'identifier'],
  [/\bavatar/i, 'avatar_url'],
];

/** The first contact field a 4xx names: its `attributes` list, else its message. */
function rejectedField(body: string, message: string): string | undefined {
  try {
    const attrs = (JSON.parse(body) as { attributes?: unknown } | null)?.attributes;
    if (Array.isArray(attrs)) {
      const named = attrs.find((a): a is string => typeof a === 'string' && CONTACT_ATTRIBUTES.has(a));
      if (named !== undefined) return named;
    }
  } catch {
    // not JSON: the message may still name it
  }
  return FIELD_IN_MESSAGE.find(([re]) => re.test(message))?.[1];
}

// Certificate checks that failed: nothing was sent, and no retry will make the certificate good.
const TLS_REFUSED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const NOT_SENT_NETWORK = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

export function classifyError(err: unknown): Classified {
  const e = err as { code?: string; message?: string; name?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code;
  const detail = code ?? e?.name ?? 'error';
  if (code === 'REQUEST_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return { kind: 'retry', code: 'timeout', ambiguous: true, message: `request timed out (${e.message ? clip(scrubAuth(e.message)) : code})` };
  }
  if (code !== undefined && TLS_REFUSED.has(code)) {
    return {
      kind: 'fatal',
      message: `the TLS certificate of --base-url could not be verified (${code}), so nothing was sent: check the address; for a private CA, add it with NODE_EXTRA_CA_CERTS=/path/to/ca.pem (verification is never turned off)`,
    };
  }
  if (code !== undefined && NOT_SENT_NETWORK.has(code)) {
    return { kind: 'retry', code: 'network', ambiguous: false, message: `cannot connect to LiveDesk (${detail})` };
  }
  return {
    kind: 'retry',
    code: 'network',
    // A reset or closed socket may come after LiveDesk stored the contact: assume it might have.
    ambiguous: true,
    message: `connection to LiveDesk failed (${detail}${e?.message ? `: ${clip(scrubAuth(e.message))}` : ''})`,
  };
}

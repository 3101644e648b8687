// Who a state store belongs to: one LiveDesk base URL + one account + one inbox.
//
// The account is a SHA-256 of the API key: the key itself is never written anywhere. Two keys of
// the same LiveDesk account are two scopes here (the API does not tell us the account), which
// costs at worst one full run for a new key, never a wrong decision.
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

export interface StoreScope {
  baseUrl: string;
  apiKey: string;
  inboxId: string | number;
}

/** A scope as the store writes it down: no key, only its hash. */
export interface ScopeRecord {
  baseUrl: string;
  /** SHA-256 (hex) of the API key. */
  account: string;
  inboxId: string;
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** The base URL as one spelling: lower-case scheme and host, default port dropped, no trailing slash. */
export function normalizeBaseUrl(raw: string): string {
  const text = raw.trim();
  try {
    const url = new URL(text);
    url.hash = '';
    url.search = '';
    const path = url.pathname.replace(/\/+$/, '');
    return `${url.protocol}//${url.host}${path}`;
  } catch {
    return text.replace(/\/+$/, '');
  }
}

export function scopeRecord(scope: StoreScope): ScopeRecord {
  const inboxId = String(scope.inboxId).trim();
  if (inboxId === '') throw new TypeError('state store: the scope needs an inbox ID');
  if (typeof scope.apiKey !== 'string' || scope.apiKey === '') {
    throw new TypeError('state store: the scope needs an API key (only its SHA-256 is kept)');
  }
  return { baseUrl: normalizeBaseUrl(scope.baseUrl), account: sha256(scope.apiKey), inboxId };
}

export function sameScope(a: ScopeRecord, b: ScopeRecord): boolean {
  return a.baseUrl === b.baseUrl && a.account === b.account && a.inboxId === b.inboxId;
}

/** The account as people see it: the first 12 hex digits of the key's hash. */
export const shortAccount = (account: string): string => account.slice(0, 12);

/** Words for messages: "https://x.example inbox 7 (account 1a2b3c4d5e6f)". */
export const describeScope = (s: ScopeRecord): string =>
  `${s.baseUrl} inbox ${s.inboxId} (account ${shortAccount(s.account)})`;

/**
 * The file name of a scope's store inside a state folder: readable host and inbox, then a hash of
 * the whole scope so that two accounts on one host never share a file.
 */
export function scopeFileName(s: ScopeRecord): string {
  let host = 'livedesk';
  try {
    host = new URL(s.baseUrl).host;
  } catch {
    /* keep the generic name */
  }
  const safe = (text: string, max: number): string =>
    text.replace(/[^A-Za-z0-9.-]+/g, '_').slice(0, max) || '_';
  const id = sha256(`${s.baseUrl}\n${s.account}\n${s.inboxId}`).slice(0, 16);
  return `${safe(host, 60)}-inbox-${safe(s.inboxId, 20)}-${id}${STORE_EXTENSION}`;
}

export const STORE_EXTENSION = '.store';
/** What versions before the store format of our own wrote (LMDB): never read, see legacy.ts. */
export const LEGACY_EXTENSION = '.lmdb';

/**
 * Where stores live by default: `$XDG_STATE_HOME/livedesk-import/`, or
 * `~/.local/state/livedesk-import/` when that is unset (or not absolute, as the XDG spec says).
 * The trailing separator marks it as a folder for `StateStore.open`.
 */
export function defaultStatePath(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_STATE_HOME;
  const base =
    xdg !== undefined && xdg !== '' && isAbsolute(xdg)
      ? xdg
      : join(env.HOME !== undefined && env.HOME !== '' ? env.HOME : homedir(), '.local', 'state');
  return join(base, 'livedesk-import') + '/';
}

// The stand-in's HTTP API as the stand-in tests call it: fetch with its credentials, and the
// answer shapes it sends.
import { startStandin, type Standin, type StandinOptions } from '../../src/standin/server.js';

export const KEY = 'test-key';
export const SECRET = 'test-secret';
export const AUTH = `Basic ${Buffer.from(`${KEY}:${SECRET}`).toString('base64')}`;
export const CONTACTS = '/api/v2/accounts/contacts';

export interface ApiContact {
  id: number;
  name: string | null;
  email: string | null;
  phone_number: string | null;
  custom_attributes: Record<string, unknown>;
}
export interface ContactAnswer {
  payload: { contact: ApiContact; contact_inbox?: unknown };
}
/** Chatwoot's update answer: the contact straight under payload, no contact level. */
export interface UpdateAnswer {
  payload: ApiContact;
}
export interface SearchAnswer {
  meta: { count: number; current_page: number };
  payload: ApiContact[];
}

export async function read<T>(res: Response | Promise<Response>): Promise<T> {
  return (await (await res).json()) as T;
}

export function start(extra: Partial<StandinOptions> = {}): Promise<Standin> {
  return startStandin({ port: 0, apiKey: KEY, apiSecret: SECRET, seed: 1, ...extra });
}

export function api(standin: Standin, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = { authorization: AUTH, 'content-type': 'application/json', ...init.headers };
  return fetch(`${standin.url}${path}`, { ...init, headers });
}

export function create(standin: Standin, body: Record<string, unknown>, init: RequestInit = {}): Promise<Response> {
  return api(standin, CONTACTS, { method: 'POST', body: JSON.stringify({ inbox_id: 407, ...body }), ...init });
}

/** What seed 42 with errorRate 0.5 gave for twelve creates before the hostile modes were added. */
export const SEED_42_STATUSES = [500, 200, 500, 500, 200, 500, 500, 500, 200, 500, 200, 200];

export async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 2 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

// Find a contact LiveDesk already holds, by exact match on a unique key: after a create was
// answered "already been taken" (to record the contact's ID), and for the dry run's check.
import type { ContactFields } from '../types.js';
import { classifyAnswer, type NotLanded } from './classify.js';
import type { HttpAnswer } from './client.js';
import { request, type RequestContext, type Stopped } from './request.js';

interface FoundContact {
  id?: unknown;
  email?: unknown;
  phone_number?: unknown;
  identifier?: unknown;
}

/** What a search settled: the contact's ID, or `undefined` when no contact has these keys. */
export interface Search {
  kind: 'searched';
  id: string | undefined;
}

const MAX_PAGES = 3;
/** Chatwoot's page size: a shorter page is the last. */
const PAGE_SIZE = 15;

interface Page {
  kind: 'page';
  list: FoundContact[];
}

function readPage(ctx: RequestContext): (a: HttpAnswer) => Page | NotLanded {
  return (a) => {
    if (a.status !== 200) {
      const c = classifyAnswer(a, { inboxId: String(ctx.inboxId), baseUrl: ctx.baseUrl, now: Date.now() });
      return c.kind === 'success' ? { kind: 'row', code: 'bad_response', taken: false, message: `contact search: HTTP ${a.status}` } : c;
    }
    try {
      const parsed = JSON.parse(a.body) as { payload?: unknown } | null;
      return { kind: 'page', list: Array.isArray(parsed?.payload) ? (parsed.payload as FoundContact[]) : [] };
    } catch {
      return { kind: 'row', code: 'bad_response', taken: false, message: 'LiveDesk contact search answered with a body that is not JSON' };
    }
  };
}

/** Searches by identifier, then email, then phone; the first exact match wins. */
export async function findExisting(ctx: RequestContext, c: ContactFields): Promise<Search | NotLanded | Stopped> {
  const probes: Array<[string, (f: FoundContact) => boolean]> = [];
  if (c.identifier) probes.push([c.identifier, (f) => f.identifier === c.identifier]);
  if (c.email) {
    const email = c.email.toLowerCase();
    probes.push([c.email, (f) => typeof f.email === 'string' && f.email.toLowerCase() === email]);
  }
  if (c.phone_number) probes.push([c.phone_number, (f) => f.phone_number === c.phone_number]);

  const read = readPage(ctx);
  for (const [query, matches] of probes) {
    for (let page = 1; page <= MAX_PAGES; page++) {
      const { answer } = await request(ctx, { send: () => ctx.client.searchContacts(query, page), read });
      if (answer.kind !== 'page') {
        return answer.kind === 'stopped' || answer.kind === 'fatal' ? answer : { ...answer, message: `contact search: ${answer.message}` };
      }
      const hit = answer.list.find(matches);
      if (hit && (typeof hit.id === 'number' || typeof hit.id === 'string')) return { kind: 'searched', id: String(hit.id) };
      if (answer.list.length < PAGE_SIZE) break;
    }
  }
  return { kind: 'searched', id: undefined };
}

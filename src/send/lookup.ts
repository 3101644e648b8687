// Find the LiveDesk contact that holds one of a row's keys, and judge whether it is the row's
// (identity.ts): after a create was answered "already been taken", after a 2xx whose ID could not
// be read, and for the dry run's check. Searches are requests like any other, so one key is
// searched at a time, strongest first, and the next only when a search found no holder.
import type { ContactFields } from '../types.js';
import { classifyAnswer, type NotLanded } from './classify.js';
import type { HttpAnswer } from './client.js';
import { checkContactId, inexactIds } from './contact-id.js';
import { holds, judge, KEY_LABEL, type Candidate, type UniqueKey, type Verdict } from './identity.js';
import { request, type RequestContext, type Stopped } from './request.js';

/** The contact that holds the row's `key`, and whether it is the row's. */
export interface Holder {
  id: string;
  key: UniqueKey;
  verdict: Verdict;
  /** The contact as the search returned it: its fields as LiveDesk holds them. */
  contact: Candidate;
}

/** What the searches settled: the holder, or `undefined` when no contact holds any of the keys. */
export interface Search {
  kind: 'searched';
  holder: Holder | undefined;
}

const MAX_PAGES = 3;
/** Chatwoot's page size: a shorter page is the last. */
const PAGE_SIZE = 15;

interface Page {
  kind: 'page';
  list: Candidate[];
  /** The page's `"id":` numbers JSON.parse could not keep exact (contact-id.ts). */
  inexact: ReadonlyMap<number, string>;
}

function readPage(ctx: RequestContext): (a: HttpAnswer) => Page | NotLanded {
  return (a) => {
    if (a.status !== 200) {
      const c = classifyAnswer(a, { inboxId: String(ctx.inboxId), baseUrl: ctx.baseUrl, now: Date.now() });
      return c.kind === 'success' ? { kind: 'row', code: 'bad_response', taken: false, message: `contact search: HTTP ${a.status}` } : c;
    }
    try {
      const parsed = JSON.parse(a.body) as { payload?: unknown } | null;
      const list = Array.isArray(parsed?.payload) ? (parsed.payload as unknown[]) : [];
      return { kind: 'page', list: list.filter((c): c is Candidate => typeof c === 'object' && c !== null), inexact: inexactIds(a.body) };
    } catch {
      return { kind: 'row', code: 'bad_response', taken: false, message: 'LiveDesk contact search answered with a body that is not JSON' };
    }
  };
}

/**
 * Searches the row's `keys` in the order given until a contact holds one exactly (search is a
 * substring match: anything else on the page is noise). Phones have no unique index, so two
 * contacts may hold one: a holder that agrees with the row wins over one that does not.
 */
export async function findHolder(ctx: RequestContext, row: ContactFields, keys: readonly UniqueKey[]): Promise<Search | NotLanded | Stopped> {
  const read = readPage(ctx);
  for (const key of keys) {
    const query = row[key];
    if (query === undefined || query === '') continue;
    let first: Holder | undefined;
    for (let page = 1; page <= MAX_PAGES; page++) {
      const { answer } = await request(ctx, { send: () => ctx.client.searchContacts(query, page), read });
      if (answer.kind !== 'page') {
        return answer.kind === 'stopped' || answer.kind === 'fatal' ? answer : { ...answer, message: `contact search: ${answer.message}` };
      }
      let unusable: string | undefined;
      for (const c of answer.list) {
        const verdict = holds(row, c, key) ? judge(row, c) : undefined;
        if (verdict === undefined) continue;
        // Checked as a create's ID is: a rounded number or a string with a line break in it would
        // be recorded, and later updated, as this row's contact.
        const id = checkContactId(c.id, answer.inexact);
        if (!id.ok) {
          unusable ??= id.why;
          continue;
        }
        if (verdict.kind === 'same') return { kind: 'searched', holder: { id: id.id, key, verdict, contact: c } };
        first ??= { id: id.id, key, verdict, contact: c };
      }
      if (unusable !== undefined && first === undefined) {
        return {
          kind: 'row',
          code: 'bad_response',
          taken: false,
          message: `contact search: the LiveDesk contact holding this ${KEY_LABEL[key]} cannot be recorded: ${unusable}; check it in LiveDesk`,
        };
      }
      // A unique key has one holder: once it is on a page, the next pages hold only near matches.
      if (first !== undefined || answer.list.length < PAGE_SIZE) break;
    }
    if (first !== undefined) return { kind: 'searched', holder: first };
  }
  return { kind: 'searched', holder: undefined };
}

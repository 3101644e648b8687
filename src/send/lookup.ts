// Find a contact LiveDesk already holds, by exact match on a unique key. Used after a retry was
// answered "already been taken", to record the contact's ID instead of a failure.
import type { ContactFields } from '../types.js';
import { classifyAnswer, classifyError, type Classified } from './classify.js';
import type { SenderContext } from './sender.js';

interface FoundContact {
  id?: unknown;
  email?: unknown;
  phone_number?: unknown;
  identifier?: unknown;
}

const MAX_PAGES = 3;

/** The search itself failed (not "nothing found"); `c` says whether a retry can help. */
export class LookupError extends Error {
  readonly code = 'lookup_error';
  constructor(readonly c: Exclude<Classified, { kind: 'success' }>) {
    super(`contact search: ${c.message}`);
  }
}

export async function findExisting(
  ctx: Pick<SenderContext, 'client' | 'pacer' | 'stop' | 'stats' | 'inboxId' | 'baseUrl'>,
  c: ContactFields,
): Promise<string | undefined> {
  const probes: Array<[string, (f: FoundContact) => boolean]> = [];
  if (c.identifier) probes.push([c.identifier, (f) => f.identifier === c.identifier]);
  if (c.email) {
    const email = c.email.toLowerCase();
    probes.push([c.email, (f) => typeof f.email === 'string' && f.email.toLowerCase() === email]);
  }
  if (c.phone_number) probes.push([c.phone_number, (f) => f.phone_number === c.phone_number]);

  for (const [query, matches] of probes) {
    for (let page = 1; page <= MAX_PAGES; page++) {
      await ctx.pacer.take(ctx.stop);
      if (ctx.stop.aborted) throw new LookupError({ kind: 'retry', code: 'network', ambiguous: false, message: 'the run is stopping' });
      ctx.stats.requests++;
      let answer;
      try {
        answer = await ctx.client.searchContacts(query, page);
      } catch (e) {
        throw new LookupError(classifyError(e) as Exclude<Classified, { kind: 'success' }>);
      }
      if (answer.status !== 200) {
        const c = classifyAnswer(answer, { inboxId: String(ctx.inboxId), baseUrl: ctx.baseUrl, now: Date.now() });
        if (c.kind === 'retry' && c.code === 'rate_limited') ctx.pacer.throttled();
        throw new LookupError(c.kind === 'success' ? { kind: 'row', code: 'bad_response', taken: false, message: `HTTP ${answer.status}` } : c);
      }
      let parsed: { payload?: FoundContact[] };
      try {
        parsed = JSON.parse(answer.body) as { payload?: FoundContact[] };
      } catch {
        throw new LookupError({ kind: 'row', code: 'bad_response', taken: false, message: 'LiveDesk contact search answered with a body that is not JSON' });
      }
      const list = Array.isArray(parsed.payload) ? parsed.payload : [];
      const hit = list.find(matches);
      if (hit && (typeof hit.id === 'number' || typeof hit.id === 'string')) return String(hit.id);
      if (list.length < 15) break;
    }
  }
  return undefined;
}

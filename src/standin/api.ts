// The LiveDesk contact endpoints the stand-in imitates (see /work/shared/livedesk-api.md): create,
// update and search, with a fault drawn for each create. Rate limiting and credentials are
// checked before these run (server.ts).
import type { IncomingMessage } from 'node:http';
import {
  apiContact,
  CREATE_FIELDS,
  newContact,
  parseChanges,
  UPDATE_FIELDS,
  withMergedAttributes,
  type ChangeField,
  type FieldError,
} from './contacts.js';
import { drawEcho, drawFault, drawGone, echoedCredentials, storesContact } from './faults.js';
import { json, readJsonObject, type Answer, type Reply } from './http.js';
import type { StandinState } from './server.js';

// Port 1 on loopback: nothing listens there, so a client that did follow would fail at once.
const REDIRECT_TO = 'http://127.0.0.1:1/elsewhere';
const CONTACTS_PATH = '/api/v2/accounts/contacts';
const CONTACT_PATH = /^\/api\/v2\/accounts\/contacts\/(\d+)$/;
const NOT_FOUND = { error: 'Resource could not be found' };

export interface ContactApiOptions {
  /** Known inbox IDs, as strings. */
  inboxes: ReadonlySet<string>;
  /** 422 bodies with `message` only, as older Chatwoot. */
  legacyErrors: boolean | undefined;
  /** The PRNG for the classic faults, and a second one for the hostile modes. */
  random: () => number;
  hostileRandom: () => number;
  /** A third stream for update faults, so that updates never shift the creates' fault sequence. */
  updateRandom: () => number;
  /** A fourth for the echoing gateway (echoAuthRate), drawn only when it is set. */
  echoRandom: () => number;
}

/** The router for `/api/` requests that passed the rate limit and the credentials check. */
export function contactApi(state: StandinState, opts: ContactApiOptions): (req: IncomingMessage, url: URL) => Promise<Reply> | Reply {
  const { inboxes, random, hostileRandom, updateRandom, echoRandom } = opts;
  const store = state.store;

  const unprocessable = (errors: FieldError[]): Answer => {
    const message = errors.map((e) => e.message).join(', ');
    if (opts.legacyErrors) return json(422, { message });
    return json(422, { message, attributes: [...new Set(errors.map((e) => e.attribute))] });
  };

  const parsed = async (req: IncomingMessage, allowed: readonly ChangeField[]) => {
    const body = await readJsonObject(req);
    return { body, changes: parseChanges(body, allowed) };
  };

  const create = async (req: IncomingMessage): Promise<Reply> => {
    const { body, changes } = await parsed(req, CREATE_FIELDS);
    if (drawEcho(state.faults, echoRandom)) {
      state.stats.byFault.echoAuth = (state.stats.byFault.echoAuth ?? 0) + 1;
      return { kind: 'answer', ...echoedCredentials(req.headers.authorization, state.faults.echoAuthStatus ?? 400) };
    }
    const fault = drawFault(state.faults, random, hostileRandom);
    if (fault !== null) state.stats.byFault[fault] = (state.stats.byFault[fault] ?? 0) + 1;
    if (!storesContact(fault)) {
      if (fault === 'resetBefore') return { kind: 'reset' };
      if (fault === 'redirect') return redirect();
      return json(500, { error: 'Internal server error' });
    }
    if (!changes.ok) return json(400, { error: changes.error });
    const inbox = body.inbox_id;
    if ((typeof inbox !== 'string' && typeof inbox !== 'number') || String(inbox).trim() === '') {
      return inboxMissing();
    }
    const contact = newContact(changes.changes, String(inbox), Math.floor(Date.now() / 1000));
    const errors = store.check(contact);
    if (errors.length > 0) return unprocessable(errors);
    // Chatwoot saves the contact, then looks the inbox up and rolls back: 422 wins over 404.
    if (!inboxes.has(String(inbox))) return json(404, NOT_FOUND);
    const stored = store.insert(contact);
    state.stats.creates++;
    if (fault === 'resetAfter') return { kind: 'reset' };
    if (fault === 'hangAfter') return { kind: 'hang' };
    // Stored, as the real service would have, and then an answer with no ID the importer can read.
    if (fault === 'badBody') return { kind: 'answer', status: 200, body: '<html>oops</html>', headers: { 'content-type': 'text/html; charset=utf-8' } };
    if (fault === 'noId') return json(200, { payload: { contact: {} } });
    if (fault === 'hugeBody') return { kind: 'huge', contact: stored };
    if (fault === 'neverEnd') return { kind: 'neverEnd' };
    return json(200, { payload: { contact: apiContact(stored), contact_inbox: { inbox: null, source_id: null } } });
  };

  const redirect = (): Answer => ({
    kind: 'answer',
    status: 302,
    body: `<html><body>Moved to <a href="${REDIRECT_TO}">${REDIRECT_TO}</a></body></html>`,
    headers: { location: REDIRECT_TO, 'content-type': 'text/html; charset=utf-8' },
  });

  const inboxMissing = (): Answer =>
    opts.legacyErrors
      ? json(422, { message: "Inbox can't be blank" })
      : json(422, { message: "Inbox can't be blank", attributes: ['inbox_id'] });

  const update = async (req: IncomingMessage, id: number): Promise<Reply> => {
    const { changes } = await parsed(req, UPDATE_FIELDS);
    if (drawGone(state.faults, updateRandom) && store.remove(id)) state.stats.byFault.goneOnUpdate = (state.stats.byFault.goneOnUpdate ?? 0) + 1;
    const contact = store.find(id);
    if (!contact) return json(404, NOT_FOUND);
    if (!changes.ok) return json(400, { error: changes.error });
    const errors = store.check(withMergedAttributes(contact, changes.changes), id);
    if (errors.length > 0) return unprocessable(errors);
    store.update(contact, changes.changes);
    // Chatwoot's update.json.jbuilder renders the contact straight under payload, unlike create
    // (livedesk-api.md, "Update contact"): the importer must read this shape, so it is the one served.
    return json(200, { payload: apiContact(contact) });
  };

  const search = (url: URL): Answer => {
    const page = Math.max(1, Number.parseInt(url.searchParams.get('page') ?? '1', 10) || 1);
    const { count, items } = store.search(url.searchParams.get('q') ?? '', page);
    return json(200, { meta: { count, current_page: page }, payload: items.map(apiContact) });
  };

  return (req, url) => {
    if (url.pathname === CONTACTS_PATH && req.method === 'POST') return create(req);
    if (url.pathname === CONTACTS_PATH && req.method === 'GET') return search(url);
    const id = CONTACT_PATH.exec(url.pathname)?.[1];
    if (id !== undefined && req.method === 'PATCH') return update(req, Number(id));
    return json(404, { error: 'Not found' });
  };
}

// Issue 12, findings 6–8: a contact is never taken for another. The rule (src/send/identity.ts),
// then the sender and the check against a scripted fake client: the outcome AND the requests
// LiveDesk would have seen (searches are requests: only the key LiveDesk named, strongest first,
// the next only when one found no holder). Then the update answers and the 2xx whose ID could not
// be read, and what the sinks make of the new outcomes.
import { describe, expect, it } from 'vitest';
import { checkRow } from '../src/send/check.js';
import { judge, searchKeysFor } from '../src/send/identity.js';
import { sendRow } from '../src/send/sender.js';
import { resultLine, RESULTS_HEADER } from '../src/sinks/results.js';
import { count, emptySummary, formatSummary } from '../src/sinks/summary.js';
import { createBody, created, expectSentOnce, found, harness, http, none, row, search, taken, timeout, updated } from './helpers/fake-client.js';

const P = '+14155550100';
/** The row of the issue: its own email and identifier, a phone someone else holds. */
const bea = { name: 'Bea', email: 'b@y.example', identifier: 'I2', phone_number: P };
const phoneTaken = () => taken('Phone number has already been taken', ['phone_number']);
const emailTaken = () => taken('Email has already been taken', ['email']);
const html = () => http(200, '<html>oops</html>', { 'content-type': 'text/html' });

describe('judge: keys that agree', () => {
  it.each([
    ['same identifier, nothing else', { identifier: 'I1' }, { identifier: 'I1', email: 'x@y' }, { kind: 'same', key: 'identifier' }],
    ['same email in another case, their identifier absent', { email: 'A@x.example', identifier: 'I1' }, { email: 'a@x.example' }, { kind: 'same', key: 'email' }],
    ['same email, different phone (people change numbers)', { email: 'a@x', phone_number: P }, { email: 'a@x', phone_number: '+14155550199' }, { kind: 'same', key: 'email' }],
    ['same phone, nothing else to compare', { email: 'a@x', phone_number: P }, { phone_number: P }, { kind: 'same', key: 'phone_number' }],
    ['same phone, different email', { email: 'b@y', phone_number: P }, { email: 'a@x', phone_number: P }, { kind: 'conflict', disagrees: 'email' }],
    ['same email, different identifier', { email: 'a@x', identifier: 'I2' }, { email: 'a@x', identifier: 'I1' }, { kind: 'conflict', disagrees: 'identifier' }],
    ['same identifier, different email', { email: 'b@y', identifier: 'I1' }, { email: 'a@x', identifier: 'I1' }, { kind: 'conflict', disagrees: 'email' }],
    ['identifiers differ only in case (exact)', { identifier: 'i1', email: 'a@x' }, { identifier: 'I1', email: 'a@x' }, { kind: 'conflict', disagrees: 'identifier' }],
    ['nothing shared', { email: 'a@x' }, { phone_number: P }, undefined],
    // A phone alone proves nothing: the holder has an email (or identifier) this row lacks.
    ['only the phone shared, the holder has an email the row lacks', { name: 'Carol', phone_number: P }, { email: 'alice@q', phone_number: P }, { kind: 'conflict', disagrees: 'email', lacking: true }],
    ['only the phone shared, the holder has an identifier the row lacks', { phone_number: P }, { identifier: 'I1', phone_number: P }, { kind: 'conflict', disagrees: 'identifier', lacking: true }],
    ['only the phone shared, neither has more', { name: 'Carol', phone_number: P }, { phone_number: P }, { kind: 'same', key: 'phone_number' }],
  ] as const)('%s', (_name, mine, theirs, verdict) => {
    expect(judge(mine, { id: 1, ...theirs })).toEqual(verdict);
  });

  it('search keys: those LiveDesk named that the row has, strongest first; every key when it named none', () => {
    expect(searchKeysFor(bea, ['phone_number', 'email'])).toEqual(['email', 'phone_number']);
    expect(searchKeysFor(bea, ['identifier'])).toEqual(['identifier']);
    expect(searchKeysFor({ email: 'a@x' }, ['identifier'])).toEqual(['email']);
    expect(searchKeysFor(bea, undefined)).toEqual(['identifier', 'email', 'phone_number']);
  });
});

describe('sendRow: the holder of a taken key disagrees with the row', () => {
  it('phone held by someone else, --phone-taken omit: created without the phone, a note naming the holder, one sent mark', async () => {
    const h = harness({ create: [phoneTaken(), created(901)], search: [found({ id: 66, email: 'a@x.example', phone_number: P })] }, { phoneTaken: 'omit' });
    const { phone_number: _, ...withoutPhone } = bea;
    const r = row(bea);
    expect(await sendRow(r, h.ctx)).toEqual({
      kind: 'created',
      row: 7,
      values: r.values,
      contact: withoutPhone,
      contactId: '901',
      note: `phone number ${P} left out: LiveDesk contact 66 holds it (--phone-taken omit)`,
      leftOut: 'phone_number',
    });
    expect(h.client.seen).toEqual([createBody(bea), search(P), createBody(withoutPhone)]);
    expectSentOnce(h);
  });

  it('--phone-taken omit, and the second create is refused too: the failure says the phone was left out', async () => {
    const h = harness(
      { create: [phoneTaken(), taken('Identifier has already been taken', ['identifier'])], search: [found({ id: 66, email: 'a@x.example', phone_number: P }), found({ id: 70, identifier: 'I2', email: 'other@z.example' })] },
      { phoneTaken: 'omit', onExisting: 'update' },
    );
    const out = await sendRow(row(bea), h.ctx);
    expect(out).toMatchObject({ kind: 'failed', code: 'key_conflict', message: expect.stringMatching(/^phone number \+14155550100 left out: .*; then: LiveDesk contact 70 has this row's identifier \(I2\) but a different email/) });
    expect(h.client.ops).toEqual(['create', 'search', 'create', 'search']);
    expectSentOnce(h);
  });

  for (const onExisting of ['skip', 'update', 'fail'] as const) {
    it(`email held by a contact with another identifier, --on-existing ${onExisting}: key_conflict, no PATCH`, async () => {
      const c = { name: 'Ada', email: 'ada@example.com', identifier: 'crm-2' };
      const h = harness({ create: [emailTaken()], search: [found({ id: 55, email: 'ADA@example.com', identifier: 'crm-1' })] }, { onExisting });
      const out = await sendRow(row(c), h.ctx);
      expect(out).toMatchObject({ kind: 'failed', code: 'key_conflict', field: 'email', value: 'ada@example.com' });
      expect(out.kind === 'failed' && out.message).toBe(
        "LiveDesk contact 55 has this row's email (ada@example.com) but a different identifier, so it is not this row's contact: not created and contact 55 left unchanged: check both in LiveDesk, correct the row's email or identifier (or the contact), then import the row again",
      );
      expect(h.client.seen).toEqual([createBody(c), search('ada@example.com')]);
      expectSentOnce(h);
    });
  }

  it('identifier held by a contact with another email: key_conflict naming the identifier', async () => {
    const c = { email: 'new@example.com', identifier: 'crm-1' };
    const h = harness({ create: [taken('Identifier has already been taken', ['identifier'])], search: [found({ id: 55, email: 'old@example.com', identifier: 'crm-1' })] }, { onExisting: 'update' });
    expect(await sendRow(row(c), h.ctx)).toMatchObject({ kind: 'failed', code: 'key_conflict', field: 'identifier', message: expect.stringContaining('but a different email') });
    expect(h.client.ops).toEqual(['create', 'search']);
  });

  it('email and phone taken: the email is searched first, and its holder settles it (no phone search)', async () => {
    const h = harness({ create: [taken('Email has already been taken, Phone number has already been taken', ['email', 'phone_number'])], search: [found({ id: 55, email: 'b@y.example' })] });
    expect(await sendRow(row(bea), h.ctx)).toMatchObject({ kind: 'existing', contactId: '55' });
    expect(h.client.seen).toEqual([createBody(bea), search('b@y.example')]);
  });

  it('email and phone taken, no holder found by email: the phone is searched, and a holder that disagrees fails the row', async () => {
    const h = harness({ create: [taken('Email has already been taken, Phone number has already been taken', ['email', 'phone_number'])], search: [none(), found({ id: 66, email: 'a@x.example', phone_number: P })] });
    expect(await sendRow(row(bea), h.ctx)).toMatchObject({ kind: 'failed', code: 'phone_taken', message: expect.stringContaining('LiveDesk contact 66, a different person') });
    expect(h.client.seen).toEqual([createBody(bea), search('b@y.example'), search(P)]);
  });

  it('a 422 that also lists a format error: only the key the message says is taken is searched', async () => {
    const h = harness({ create: [taken('Email has already been taken, Phone number should be in e164 format', ['email', 'phone_number'])], search: [none()] });
    await sendRow(row(bea), h.ctx);
    expect(h.client.seen).toEqual([createBody(bea), search('b@y.example')]);
  });

  it('older Chatwoot (message only): the key is read from the message', async () => {
    const h = harness({ create: [http(422, { message: 'Phone number has already been taken' })], search: [found({ id: 66, email: 'a@x.example', phone_number: P })] });
    expect(await sendRow(row(bea), h.ctx)).toMatchObject({ kind: 'failed', code: 'phone_taken' });
    expect(h.client.seen).toEqual([createBody(bea), search(P)]);
  });

  it('a 422 that names no key we know: every key is searched, strongest first, until a holder', async () => {
    const h = harness({ create: [http(422, { message: 'Contact has already been taken' })], search: [none(), found({ id: 55, email: 'b@y.example', identifier: 'I2' })] });
    expect(await sendRow(row(bea), h.ctx)).toMatchObject({ kind: 'existing', contactId: '55' });
    expect(h.client.seen).toEqual([createBody(bea), search('I2'), search('b@y.example')]);
  });

  it('two contacts hold the phone (phones have no unique index): the one that agrees is the row\'s', async () => {
    const h = harness({ create: [phoneTaken()], search: [found({ id: 66, email: 'a@x.example', phone_number: P }, { id: 67, email: 'B@Y.example', phone_number: P })] });
    expect(await sendRow(row(bea), h.ctx)).toMatchObject({ kind: 'existing', contactId: '67' });
  });

  it('after a timeout, "taken" by a contact that disagrees is not ours: key_conflict, not existing', async () => {
    const c = { email: 'ada@example.com', identifier: 'crm-2' };
    const h = harness({ create: [timeout(), emailTaken()], search: [found({ id: 55, email: 'ada@example.com', identifier: 'crm-1' })] }, { onExisting: 'fail' });
    expect(await sendRow(row(c), h.ctx)).toMatchObject({ kind: 'failed', code: 'key_conflict' });
    expect(h.client.ops).toEqual(['create', 'create', 'search']);
  });

  it('resumed (maybeSent), phone taken by someone else: phone_taken', async () => {
    const h = harness({ create: [phoneTaken()], search: [found({ id: 66, email: 'a@x.example', phone_number: P })] });
    expect(await sendRow(row(bea), h.ctx, true)).toMatchObject({ kind: 'failed', code: 'phone_taken' });
  });
});

describe('sendRow: --on-existing update answers (finding 7)', () => {
  const upd = { onExisting: 'update' as const };
  // The rows carry a new name: a row the holder already matches in every field sends no PATCH.
  it('payload.contact.id is read too', async () => {
    const h = harness({ create: [emailTaken()], search: [found({ id: 55, email: 'ada@example.com' })], update: [http(200, { payload: { contact: { id: '55' } } })] }, upd);
    expect(await sendRow(row({ name: 'Ada New', email: 'ada@example.com' }), h.ctx)).toMatchObject({ kind: 'updated', contactId: '55' });
  });

  it('a 404 (deleted since the search): not_found for that row, not fatal', async () => {
    const h = harness({ create: [emailTaken()], search: [found({ id: 55, email: 'ada@example.com' })], update: [http(404, { error: 'Resource could not be found' })] }, upd);
    expect(await sendRow(row({ name: 'Ada New', email: 'ada@example.com' }), h.ctx)).toMatchObject({
      kind: 'failed',
      code: 'not_found',
      message: 'LiveDesk contact 55 was not found when updating it (HTTP 404: Resource could not be found): it was deleted after the search found it. Import the row again to create it',
    });
    expect(h.client.ops).toEqual(['create', 'search', 'update']);
  });

  it('an answer naming another contact, or none: bad_response saying the update was most likely applied', async () => {
    for (const answer of [updated({ id: 56 }), http(200, '<html></html>')]) {
      const h = harness({ create: [emailTaken()], search: [found({ id: 55, email: 'ada@example.com' })], update: [answer] }, upd);
      expect(await sendRow(row({ name: 'Ada New', email: 'ada@example.com' }), h.ctx)).toMatchObject({ kind: 'failed', code: 'bad_response', message: expect.stringContaining('check contact 55 in LiveDesk') });
    }
  });
});

describe('sendRow: a 2xx whose ID could not be read (finding 8)', () => {
  it('found by its identifier: created with the stored ID, a note saying how; one search', async () => {
    const h = harness({ create: [html()], search: [found({ id: 2219001, email: 'b@y.example', identifier: 'I2', phone_number: P })] });
    const out = await sendRow(row(bea), h.ctx);
    expect(out).toMatchObject({ kind: 'created', contactId: '2219001', note: expect.stringMatching(/^LiveDesk answered HTTP 200 but its body is not JSON .*; its ID was found by searching its identifier$/) });
    expect(h.client.seen).toEqual([createBody(bea), search('I2')]);
    expectSentOnce(h);
  });

  it('not found by identifier: then by email', async () => {
    const h = harness({ create: [http(200, '{"payload":{"con')], search: [none(), found({ id: 9, email: 'b@y.example' })] });
    expect(await sendRow(row(bea), h.ctx)).toMatchObject({ kind: 'created', contactId: '9' });
    expect(h.client.seen).toEqual([createBody(bea), search('I2'), search('b@y.example')]);
  });

  it('no email or identifier: bad_response without a search (a phone may be someone else\'s)', async () => {
    const h = harness({ create: [html()] });
    expect(await sendRow(row({ name: 'P', phone_number: P }), h.ctx)).toMatchObject({ kind: 'failed', code: 'bad_response', message: expect.stringContaining('check LiveDesk') });
    expect(h.client.ops).toEqual(['create']);
  });

  it('a holder that disagrees: bad_response, never its ID', async () => {
    const c = { email: 'b@y.example', identifier: 'I2' };
    const h = harness({ create: [html()], search: [none(), found({ id: 5, email: 'b@y.example', identifier: 'I1' })] });
    expect(await sendRow(row(c), h.ctx)).toMatchObject({ kind: 'failed', code: 'bad_response', message: expect.stringContaining('a different identifier') });
    expect(h.client.ops).toEqual(['create', 'search', 'search']);
  });
});

describe('checkRow: conflicts reported apart from "already exists"', () => {
  it('phone held by someone else: conflict with the holder\'s ID, and what the import will do', async () => {
    const h = harness({ search: [none(), none(), found({ id: 66, email: 'a@x.example', phone_number: P })] });
    const r = row(bea);
    expect(await checkRow(r, h.ctx)).toEqual({
      kind: 'conflict',
      row: 7,
      values: r.values,
      contact: bea,
      holderId: '66',
      reason: 'phone_taken',
      note: `phone number ${P} is held by LiveDesk contact 66, a different person (its email differs from this row's): the import will fail this row as phone_taken (--phone-taken omit would create it without the phone)`,
    });
    expect(h.client.seen).toEqual([search('I2'), search('b@y.example'), search(P)]);
    const omit = harness({ search: [none(), none(), found({ id: 66, email: 'a@x.example', phone_number: P })] }, { phoneTaken: 'omit' });
    expect(await checkRow(row(bea), omit.ctx)).toMatchObject({ kind: 'conflict', note: expect.stringMatching(/will create it without the phone \(--phone-taken omit\)$/) });
  });

  it('email held by a contact with another identifier: conflict key_conflict', async () => {
    const h = harness({ search: [none(), found({ id: 55, email: 'b@y.example', identifier: 'I1' })] });
    expect(await checkRow(row(bea), h.ctx)).toMatchObject({ kind: 'conflict', holderId: '55', reason: 'key_conflict', note: expect.stringContaining('will fail this row as key_conflict') });
  });

  it('the email\'s holder agrees: existing, and the phone is not searched', async () => {
    const h = harness({ search: [none(), found({ id: 55, email: 'b@y.example' })] });
    expect(await checkRow(row(bea), h.ctx)).toMatchObject({ kind: 'existing', contactId: '55' });
    expect(h.client.ops).toEqual(['search', 'search']);
  });
});

describe('sinks: the note column and the conflict count', () => {
  it('results: `note` is the last column, empty for ordinary rows; a conflict has no contact_id', () => {
    expect(RESULTS_HEADER.at(-1)).toBe('note');
    expect(resultLine({ row: 1, kind: 'created', contactId: '5', contact: { name: 'A' } })).toBe('1,created,5,A,,,,\n');
    expect(resultLine({ row: 2, kind: 'created', contactId: '6', contact: { email: 'b@y' }, note: 'phone number +1 left out, see' })).toBe('2,created,6,,b@y,,,"phone number +1 left out, see"\n');
    expect(resultLine({ row: 3, kind: 'conflict', contact: { email: 'b@y' }, note: 'x' })).toBe('3,conflict,,,b@y,,,x\n');
  });

  it('summary: conflicts counted apart, phones left out counted, both printed', () => {
    const check = emptySummary(true, 'f.csv', 'r.csv');
    check.requests = 3;
    count(check, { kind: 'conflict', row: 1, values: [], contact: {}, holderId: '66', reason: 'phone_taken', note: 'n' });
    count(check, { kind: 'existing', row: 2, values: [], contact: {}, contactId: '5' });
    expect(check).toMatchObject({ rows: 2, conflict: 1, existing: 1, valid: 2 });
    expect(formatSummary(check)).toContain('1 already exist (IDs in the results file), 1 would conflict with another contact (see the note column).');

    const live = emptySummary(false, 'f.csv', 'r.csv');
    count(live, { kind: 'created', row: 1, values: [], contact: {}, contactId: '5', note: 'n', leftOut: 'phone_number' });
    count(live, { kind: 'created', row: 2, values: [], contact: {}, contactId: '6' });
    expect(live).toMatchObject({ created: 2, phoneLeftOut: 1 });
    expect(formatSummary(live)).toContain('(1 created without their phone number: another contact holds it; see the note column of the results file.)');
  });
});

describe('--on-existing update: a PATCH that changes nothing is not sent (issue 13)', () => {
  it('the holder found by search already has every field of the row: unchanged, no PATCH', async () => {
    const c = { name: 'Ada', email: 'ada@example.com', identifier: 'C-1' };
    const h = harness({ create: [taken('Email has already been taken', ['email'])], search: [found({ id: 55, name: 'Ada', email: 'ADA@example.com', identifier: 'C-1' })] }, { onExisting: 'update' });
    expect(await sendRow(row(c), h.ctx)).toMatchObject({ kind: 'unchanged', contactId: '55' });
    expect(h.client.ops).toEqual(['create', 'search']);
  });

  it('one field differs (or cannot be seen, like avatar_url): the PATCH is sent', async () => {
    const c = { name: 'Ada King', email: 'ada@example.com' };
    const h = harness({ create: [taken('Email has already been taken', ['email'])], search: [found({ id: 55, name: 'Ada', email: 'ada@example.com' })], update: [updated({ id: 55 })] }, { onExisting: 'update' });
    expect(await sendRow(row(c), h.ctx)).toMatchObject({ kind: 'updated', contactId: '55' });
    expect(h.client.ops).toEqual(['create', 'search', 'update']);
  });
});

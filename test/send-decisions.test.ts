// The send decision table (src/send/sender.ts, settle.ts, lookup.ts, request.ts) against a scripted
// fake client: for each case, the outcome AND the requests LiveDesk would have seen, in order, with
// their bodies. Waits that matter (Retry-After, a stop during backoff) run on fake timers; the rest
// use a real pacer at a high rate and a backoff of a millisecond or two.
// Continued in send-resume.test.ts (resume, stop, sent mark, check); who a contact is, in send-identity.test.ts.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sendRow, type SendResult } from '../src/send/sender.js';
import { ada, createBody, created, expectSentOnce, found, harness, http, INBOX, netError, none, row, search, taken, timeout } from './helpers/fake-client.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('sendRow: create answered', () => {
  it('created: the ID from payload.contact.id, one POST with inbox_id and the fields', async () => {
    const h = harness({ create: [created(2219259)] });
    const r = row(ada);
    expect(await sendRow(r, h.ctx)).toEqual({ kind: 'created', row: 7, values: r.values, contact: ada, contactId: '2219259' });
    expect(h.client.seen).toEqual([createBody(ada)]);
    expect(h.ctx.stats).toEqual({ requests: 1, retries: 0 });
    expectSentOnce(h);
  });

  it('a 200 without a contact ID, and no contact found by its email: bad_response, never resent (the contact was most likely stored)', async () => {
    const h = harness({ create: [http(200, { payload: { contact: {} } })], search: [none()] });
    const out = await sendRow(row(ada), h.ctx);
    expect(out).toMatchObject({ kind: 'failed', code: 'bad_response', message: expect.stringContaining('check LiveDesk before importing this row again') });
    expect(out).toMatchObject({ message: expect.stringContaining('(no contact with this email was found by search)') });
    expect(h.client.seen).toEqual([createBody(ada), search('ada@example.com')]);
    expectSentOnce(h);
  });

  it('422 for the format: rejected, not retried, `field` from the answer\'s attributes and `value` from the row', async () => {
    const c = { name: 'Bob', phone_number: '+4412' };
    const h = harness({ create: [http(422, { message: 'Phone number should be in e164 format', attributes: ['phone_number'] })] });
    expect(await sendRow(row(c), h.ctx)).toEqual({
      kind: 'failed',
      row: 7,
      values: ['Bob', '+4412'],
      contact: c,
      code: 'rejected',
      message: 'LiveDesk rejected the row (HTTP 422): Phone number should be in e164 format',
      field: 'phone_number',
      value: '+4412',
    });
    expect(h.client.seen).toEqual([createBody(c)]);
    expectSentOnce(h);

    // The attributes list names the field even when the message does not.
    const h2 = harness({ create: [http(422, { message: 'is invalid', attributes: ['identifier'] })] });
    const out = await sendRow(row({ name: 'Bob', identifier: 'crm 1' }), h2.ctx);
    expect(out).toMatchObject({ kind: 'failed', code: 'rejected', field: 'identifier', value: 'crm 1' });
    expect(h2.client.ops).toEqual(['create']);
  });

  it('401: fatal (credentials), nothing retried', async () => {
    const h = harness({ create: [http(401, { error: 'Invalid API key' })] });
    const out = await sendRow(row(ada), h.ctx);
    expect(out).toEqual({ kind: 'fatal', row: 7, message: expect.stringContaining('LiveDesk refused the credentials (HTTP 401: Invalid API key)') });
    expect(h.client.ops).toEqual(['create']);
    expectSentOnce(h);
  });

  it('404: fatal (inbox unknown), nothing retried', async () => {
    const h = harness({ create: [http(404, { error: 'Resource could not be found' })] });
    const out = await sendRow(row(ada), h.ctx);
    expect(out).toEqual({ kind: 'fatal', row: 7, message: expect.stringContaining(`inbox ${INBOX} was not found`) });
    expect(h.client.ops).toEqual(['create']);
    expectSentOnce(h);
  });

  it('a redirect: fatal, not followed', async () => {
    const h = harness({ create: [http(302, '', { location: 'https://elsewhere.example/' })] });
    const out = await sendRow(row(ada), h.ctx);
    expect(out).toMatchObject({ kind: 'fatal', message: expect.stringContaining('redirect (HTTP 302 to https://elsewhere.example/)') });
    expect(h.client.ops).toEqual(['create']);
  });
});

describe('sendRow: retries', () => {
  it('5xx on every attempt: server_error "gave up after N attempts", exactly N = retries + 1 requests', async () => {
    const h = harness({ create: [http(503, 'busy'), http(500, 'oops'), http(502, 'bad gateway')] });
    const out = await sendRow(row(ada), h.ctx);
    expect(out).toMatchObject({ kind: 'failed', code: 'server_error', message: 'LiveDesk server error (HTTP 502: bad gateway) (gave up after 3 attempts)' });
    expect(h.client.seen).toEqual([createBody(ada), createBody(ada), createBody(ada)]);
    expect(h.ctx.stats).toEqual({ requests: 3, retries: 2 });
    expect(h.retries.map((r) => r.code)).toEqual(['server_error', 'server_error']);
    expectSentOnce(h);
  });

  it('--retries 0: one attempt, "gave up after 1 attempt"', async () => {
    const h = harness({ create: [http(500, 'oops')] }, { retries: 0 });
    expect(await sendRow(row(ada), h.ctx)).toMatchObject({ kind: 'failed', code: 'server_error', message: expect.stringMatching(/\(gave up after 1 attempt\)$/) });
    expect(h.client.ops).toEqual(['create']);
  });

  it('a connection that could not be made is resent, then created', async () => {
    const h = harness({ create: [netError('ECONNREFUSED'), created(5)] });
    expect(await sendRow(row(ada), h.ctx)).toMatchObject({ kind: 'created', contactId: '5' });
    expect(h.client.seen).toEqual([createBody(ada), createBody(ada)]);
    expectSentOnce(h);
  });

  it('429 with Retry-After, then success: waits what the server asked, not the backoff', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
    const h = harness({ create: [http(429, 'Retry later', { 'retry-after': '3' }), created(9)] }, { backoff: { baseMs: 1, maxMs: 2, maxRetryAfterMs: 60_000 } });
    let out: SendResult | undefined;
    void sendRow(row(ada), h.ctx).then((o) => (out = o));
    await vi.advanceTimersByTimeAsync(2999);
    expect(h.client.ops).toEqual(['create']);
    expect(out).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(h.client.ops).toEqual(['create', 'create']);
    expect(out).toMatchObject({ kind: 'created', contactId: '9' });
    expect(h.retries).toEqual([{ code: 'rate_limited', delayMs: 3000 }]);
    expectSentOnce(h);
  });

  it('429 with Retry-After as an HTTP date: waits until that time', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
    vi.setSystemTime(Date.parse('2026-03-01T10:00:00Z'));
    const h = harness(
      { create: [http(429, 'Retry later', { 'retry-after': 'Sun, 01 Mar 2026 10:00:04 GMT' }), created(9)] },
      { backoff: { baseMs: 1, maxMs: 2, maxRetryAfterMs: 60_000 } },
    );
    let out: SendResult | undefined;
    void sendRow(row(ada), h.ctx).then((o) => (out = o));
    await vi.advanceTimersByTimeAsync(3999);
    expect(h.client.ops).toEqual(['create']);
    await vi.advanceTimersByTimeAsync(1);
    expect(out).toMatchObject({ kind: 'created', contactId: '9' });
    expect(h.retries).toEqual([{ code: 'rate_limited', delayMs: 4000 }]);
  });

  it('429 with Retry-After pushes back the other rows\' requests too (the pacer pauses)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
    const h = harness({ create: [http(429, 'Retry later', { 'retry-after': '2' }), created(1), created(2)] }, { backoff: { baseMs: 1, maxMs: 2, maxRetryAfterMs: 60_000 } });
    const sentAt: number[] = [];
    const create = h.client.createContact.bind(h.client);
    h.client.createContact = (b) => {
      sentAt.push(performance.now());
      return create(b);
    };
    const a = sendRow(row(ada, 1), h.ctx);
    await vi.advanceTimersByTimeAsync(10);
    const b = sendRow(row({ name: 'Grace', email: 'grace@example.com' }, 2), h.ctx);
    await vi.advanceTimersByTimeAsync(2500);
    expect(await a).toMatchObject({ kind: 'created' });
    expect(await b).toMatchObject({ kind: 'created' });
    expect(sentAt[0]).toBe(0);
    // Row 2 arrived at 10 ms, during the 2 s the server asked for: it waited for the end of it.
    expect(sentAt.slice(1).every((t) => t >= 2000)).toBe(true);
  });

  it('429 without Retry-After: capped exponential backoff, and the pacer slows down', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
    const h = harness({ create: [http(429, 'Retry later'), created(3)] }, { backoff: { baseMs: 1000, maxMs: 1000, maxRetryAfterMs: 60_000 } });
    const before = h.ctx.pacer.current;
    let out: SendResult | undefined;
    void sendRow(row(ada), h.ctx).then((o) => (out = o));
    await vi.advanceTimersByTimeAsync(499);
    expect(h.client.ops).toEqual(['create']);
    expect(h.ctx.pacer.current).toBeLessThan(before);
    await vi.advanceTimersByTimeAsync(501);
    expect(out).toMatchObject({ kind: 'created', contactId: '3' });
    expect(h.retries).toHaveLength(1);
    expect(h.retries[0]!.delayMs).toBeGreaterThanOrEqual(500);
    expect(h.retries[0]!.delayMs).toBeLessThanOrEqual(1000);
  });
});

describe('sendRow: already taken', () => {
  it('--on-existing skip: searched, existing with the ID of the exact match', async () => {
    const h = harness({
      create: [taken()],
      // Search is a substring match: only the exact (case-insensitive) email is the row's contact.
      search: [found({ id: 1, email: 'xada@example.com' }, { id: 55, email: 'ADA@example.com' })],
    });
    const r = row(ada);
    // `held`: the keys as LiveDesk holds them, which the state store records (lower-cased email).
    expect(await sendRow(r, h.ctx)).toEqual({ kind: 'existing', row: 7, values: r.values, contact: ada, contactId: '55', held: { email: 'ada@example.com' } });
    expect(h.client.seen).toEqual([createBody(ada), search('ada@example.com')]);
    expectSentOnce(h);
  });

  it('searches only the key LiveDesk named; a holder that agrees (nothing to contradict) is the row\'s', async () => {
    const c = { name: 'Ada', email: 'ada@example.com', phone_number: '+14155550100', identifier: 'crm-1' };
    const h = harness({ create: [taken('Phone number has already been taken', ['phone_number'])], search: [found({ id: 'c-9', phone_number: '+14155550100' })] });
    expect(await sendRow(row(c), h.ctx)).toMatchObject({ kind: 'existing', contactId: 'c-9' });
    expect(h.client.seen).toEqual([createBody(c), search('+14155550100')]);
    expectSentOnce(h);
  });

  it('a full page of near matches: the next page is searched', async () => {
    const near = Array.from({ length: 15 }, (_, i) => ({ id: 100 + i, email: `${i}ada@example.com` }));
    const h = harness({ create: [taken()], search: [found(...near), found({ id: 77, email: 'ada@example.com' })] });
    expect(await sendRow(row(ada), h.ctx)).toMatchObject({ kind: 'existing', contactId: '77' });
    expect(h.client.seen).toEqual([createBody(ada), search('ada@example.com', 1), search('ada@example.com', 2)]);
  });

  it('--on-existing update: PATCH with the row\'s fields, then updated', async () => {
    const h = harness(
      // The stand-in's update answer (payload.contact.id); see the next test for Chatwoot's own shape.
      { create: [taken()], search: [found({ id: 55, email: 'ada@example.com' })], update: [http(200, { payload: { contact: { id: 55 } } })] },
      { onExisting: 'update' },
    );
    const r = row(ada);
    expect(await sendRow(r, h.ctx)).toEqual({ kind: 'updated', row: 7, values: r.values, contact: ada, contactId: '55' });
    expect(h.client.seen).toEqual([createBody(ada), search('ada@example.com'), { op: 'update', id: '55', fields: ada }]);
    expectSentOnce(h);
  });

  // Issue 12, finding 7: Chatwoot's update.json.jbuilder renders the contact straight under
  // `payload` ({"payload":{"id":55,…}}, livedesk-api.md "Update contact": accept both); it was
  // read like a create answer and every update reported bad_response after it was applied.
  it('--on-existing update: Chatwoot\'s update answer {"payload":{"id":…}} counts as updated', async () => {
    const h = harness(
      { create: [taken()], search: [found({ id: 55, email: 'ada@example.com' })], update: [http(200, { payload: { id: 55, name: 'Ada Lovelace', email: 'ada@example.com' } })] },
      { onExisting: 'update' },
    );
    expect(await sendRow(row(ada), h.ctx)).toMatchObject({ kind: 'updated', contactId: '55' });
    expect(h.client.ops).toEqual(['create', 'search', 'update']);
    expectSentOnce(h);
  });

  it('--on-existing update: a 5xx on the PATCH is retried, then the failure names the contact', async () => {
    const h = harness(
      { create: [taken()], search: [found({ id: 55, email: 'ada@example.com' })], update: [http(503, 'a'), http(503, 'b'), http(503, 'c')] },
      { onExisting: 'update' },
    );
    expect(await sendRow(row(ada), h.ctx)).toMatchObject({
      kind: 'failed',
      code: 'server_error',
      message: 'updating LiveDesk contact 55: LiveDesk server error (HTTP 503: c) (gave up after 3 attempts)',
    });
    expect(h.client.ops).toEqual(['create', 'search', 'update', 'update', 'update']);
  });

  it('--on-existing fail: already_exists naming the contact found; no PATCH', async () => {
    const h = harness({ create: [taken()], search: [found({ id: 55, email: 'ada@example.com' })] }, { onExisting: 'fail' });
    expect(await sendRow(row(ada), h.ctx)).toMatchObject({
      kind: 'failed',
      code: 'already_exists',
      message: 'LiveDesk rejected the row (HTTP 422): Email has already been taken (LiveDesk contact 55); --on-existing fail was chosen',
      field: 'email',
      value: 'ada@example.com',
    });
    expect(h.client.seen).toEqual([createBody(ada), search('ada@example.com')]);
    expectSentOnce(h);
  });

  it('taken, but the search for the key LiveDesk named finds no holder: rejected', async () => {
    const c = { email: 'ada@example.com', phone_number: '+14155550100', identifier: 'crm-1' };
    // A substring hit is not a match; the keys LiveDesk did not name are not searched.
    const h = harness({ create: [taken()], search: [found({ id: 3, email: 'ada@example.com.au' })] });
    expect(await sendRow(row(c), h.ctx)).toMatchObject({
      kind: 'failed',
      code: 'rejected',
      message: 'LiveDesk rejected the row (HTTP 422): Email has already been taken; no contact with this email was found by search',
      field: 'email',
    });
    expect(h.client.seen).toEqual([createBody(c), search('ada@example.com')]);
    expectSentOnce(h);
  });

  it('the search is retried on 503, then finds the contact', async () => {
    const h = harness({ create: [taken()], search: [http(503, 'busy'), found({ id: 55, email: 'ada@example.com' })] });
    expect(await sendRow(row(ada), h.ctx)).toMatchObject({ kind: 'existing', contactId: '55' });
    expect(h.client.seen).toEqual([createBody(ada), search('ada@example.com'), search('ada@example.com')]);
    expect(h.ctx.stats).toEqual({ requests: 3, retries: 1 });
    expectSentOnce(h);
  });

  it('the search fails after its retries: the row fails with the search\'s reason', async () => {
    const h = harness({ create: [taken()], search: [http(503, 'a'), http(503, 'b'), http(503, 'c')] });
    expect(await sendRow(row(ada), h.ctx)).toMatchObject({
      kind: 'failed',
      code: 'server_error',
      message: 'LiveDesk rejected the row (HTTP 422): Email has already been taken; contact search: LiveDesk server error (HTTP 503: c)',
    });
    expect(h.client.ops).toEqual(['create', 'search', 'search', 'search']);
  });

  it('the search answered 401: fatal', async () => {
    const h = harness({ create: [taken()], search: [http(401, { error: 'nope' })] });
    expect(await sendRow(row(ada), h.ctx)).toMatchObject({ kind: 'fatal', message: expect.stringContaining('refused the credentials') });
    expect(h.client.ops).toEqual(['create', 'search']);
  });

  // Issue 12, finding 6 (ARCHITECTURE.md "Identity by keys that agree"): a contact LiveDesk holds
  // is the row's only when the strongest shared key matches and no other key contradicts it; a
  // phone alone proves nothing. The first exact match on any key used to be taken: existing with
  // contact 66's ID, and with --on-existing update contact 66's email overwritten.
  it('a contact found by phone whose email contradicts the row is not the row\'s contact: phone_taken, no PATCH', async () => {
    const c = { name: 'Ada', email: 'ada@example.com', phone_number: '+14155550100' };
    for (const onExisting of ['skip', 'update', 'fail'] as const) {
      const h = harness(
        {
          create: [taken('Phone number has already been taken', ['phone_number'])],
          search: [found({ id: 66, email: 'someone-else@example.com', phone_number: '+14155550100' })],
        },
        { onExisting },
      );
      const out = await sendRow(row(c), h.ctx);
      expect(out).toMatchObject({ kind: 'failed', code: 'phone_taken', field: 'phone_number', value: '+14155550100', message: expect.stringContaining('LiveDesk contact 66') });
      expect(h.client.seen).toEqual([createBody(c), search('+14155550100')]);
      expectSentOnce(h);
    }
  });
});

describe('sendRow: ambiguous failures (the create may have landed)', () => {
  it('timeout, then 422 taken: our own create, so existing even with --on-existing fail', async () => {
    const h = harness({ create: [timeout(), taken()], search: [found({ id: 55, email: 'ada@example.com' })] }, { onExisting: 'fail' });
    expect(await sendRow(row(ada), h.ctx)).toMatchObject({ kind: 'existing', contactId: '55' });
    expect(h.client.seen).toEqual([createBody(ada), createBody(ada), search('ada@example.com')]);
    expectSentOnce(h);
  });

  it('connection reset, then 422 taken: existing with --on-existing fail', async () => {
    const h = harness({ create: [netError('ECONNRESET'), taken()], search: [found({ id: 55, email: 'ada@example.com' })] }, { onExisting: 'fail' });
    expect(await sendRow(row(ada), h.ctx)).toMatchObject({ kind: 'existing', contactId: '55' });
    expect(h.client.ops).toEqual(['create', 'create', 'search']);
  });

  it('connection refused (never sent), then 422 taken: someone else\'s contact, already_exists with --on-existing fail', async () => {
    const h = harness({ create: [netError('ECONNREFUSED'), taken()], search: [found({ id: 55, email: 'ada@example.com' })] }, { onExisting: 'fail' });
    expect(await sendRow(row(ada), h.ctx)).toMatchObject({ kind: 'failed', code: 'already_exists' });
    expect(h.client.ops).toEqual(['create', 'create', 'search']);
  });

  it('timeout, then taken, but the search finds nothing: rejected, saying the ID could not be recorded', async () => {
    const h = harness({ create: [timeout(), taken()], search: [none()] }, { onExisting: 'fail' });
    expect(await sendRow(row(ada), h.ctx)).toMatchObject({
      kind: 'failed',
      code: 'rejected',
      message: expect.stringContaining('the contact could not be found by search to record its ID'),
    });
  });

  it('timeout, then taken, with --on-existing update: the PATCH is still sent', async () => {
    const h = harness(
      { create: [timeout(), taken()], search: [found({ id: 55, email: 'ada@example.com' })], update: [http(200, { payload: { contact: { id: 55 } } })] },
      { onExisting: 'update' },
    );
    expect(await sendRow(row(ada), h.ctx)).toMatchObject({ kind: 'updated', contactId: '55' });
    expect(h.client.ops).toEqual(['create', 'create', 'search', 'update']);
  });

  for (const [label, contact] of [
    ['phone only', { phone_number: '+14155550100' }],
    ['name only', { name: 'Nameless' }],
  ] as const) {
    for (const [failure, reply] of [
      ['a timeout', timeout()],
      ['a connection reset', netError('ECONNRESET')],
      ['a 504', http(504, 'Gateway Timeout')],
    ] as const) {
      it(`${label}, ${failure}: unconfirmed, never resent`, async () => {
        const h = harness({ create: [reply, created(1)] });
        const out = await sendRow(row(contact), h.ctx);
        expect(out).toMatchObject({ kind: 'failed', code: 'unconfirmed', message: expect.stringContaining('check LiveDesk before importing this row again') });
        expect(h.client.seen).toEqual([createBody(contact)]);
        expect(h.ctx.stats).toEqual({ requests: 1, retries: 0 });
        expectSentOnce(h);
      });
    }
  }

  it('name only, connection refused (nothing sent): resent, created', async () => {
    const c = { name: 'Nameless' };
    const h = harness({ create: [netError('ECONNREFUSED'), http(503, 'busy'), created(4)] });
    expect(await sendRow(row(c), h.ctx)).toMatchObject({ kind: 'created', contactId: '4' });
    expect(h.client.ops).toEqual(['create', 'create', 'create']);
  });

  it('name only, refused then a timeout: unconfirmed after the second request, no third', async () => {
    const h = harness({ create: [netError('ECONNREFUSED'), timeout(), created(4)] });
    expect(await sendRow(row({ name: 'Nameless' }), h.ctx)).toMatchObject({ kind: 'failed', code: 'unconfirmed' });
    expect(h.client.ops).toEqual(['create', 'create']);
  });
});

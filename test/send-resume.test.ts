// The send decision table, continued (see send-decisions.test.ts): a resumed row that a stopped
// run may have sent, a stop at each point of a row's journey, the sent mark and the key lock, and
// the dry run's check. The same scripted fake client: the outcome AND the requests LiveDesk saw.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkRow } from '../src/send/check.js';
import { RatePacer } from '../src/send/rate.js';
import { sendRow, type SendResult } from '../src/send/sender.js';
import { ada, created, expectSentOnce, found, harness, http, netError, none, row, search, taken, timeout } from './helpers/fake-client.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('sendRow: resume (maybeSent) and stop', () => {
  it('maybeSent, no unique key: unconfirmed without any request, never marked', async () => {
    for (const c of [{ name: 'Nameless' }, { name: 'P', phone_number: '+14155550100' }]) {
      const h = harness({ create: [created(1)] });
      expect(await sendRow(row(c), h.ctx, true)).toMatchObject({ kind: 'failed', code: 'unconfirmed', message: expect.stringContaining('sent by the run that was stopped') });
      expect(h.client.seen).toEqual([]);
      expect(h.marks).toEqual([]);
      expect(h.ctx.keyLock.size).toBe(0);
    }
  });

  it('maybeSent with an email, answered taken: our own, existing even with --on-existing fail', async () => {
    const h = harness({ create: [taken()], search: [found({ id: 55, email: 'ada@example.com' })] }, { onExisting: 'fail' });
    expect(await sendRow(row(ada), h.ctx, true)).toMatchObject({ kind: 'existing', contactId: '55' });
    expect(h.client.ops).toEqual(['create', 'search']);
    expectSentOnce(h);
  });

  it('maybeSent with an email, not there yet: created', async () => {
    const h = harness({ create: [created(8)] });
    expect(await sendRow(row(ada), h.ctx, true)).toMatchObject({ kind: 'created', contactId: '8' });
    expectSentOnce(h);
  });

  it('stopped before: notSent, no request, never marked', async () => {
    const h = harness({ create: [created(1)] });
    h.stopper.abort();
    expect(await sendRow(row(ada), h.ctx)).toEqual({ kind: 'notSent', row: 7 });
    expect(h.client.seen).toEqual([]);
    expect(h.marks).toEqual([]);
    expect(h.ctx.keyLock.size).toBe(0);
  });

  it('stopped during the backoff: the wait ends at once, notSent, no second request', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
    const h = harness({ create: [http(503, 'busy'), created(1)] }, { backoff: { baseMs: 60_000, maxMs: 60_000, maxRetryAfterMs: 60_000 } });
    let out: SendResult | undefined;
    void sendRow(row(ada), h.ctx).then((o) => (out = o));
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.client.ops).toEqual(['create']);
    expect(out).toBeUndefined();
    h.stopper.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(out).toEqual({ kind: 'notSent', row: 7 });
    expect(h.client.ops).toEqual(['create']);
    expect(vi.getTimerCount()).toBe(0);
    expect(h.ctx.keyLock.size).toBe(0);
  });

  it('stopped while the create was in flight and answered 503: notSent, not retried', async () => {
    const h = harness({ create: [() => (h.stopper.abort(), http(503, 'busy')), created(1)] });
    expect(await sendRow(row(ada), h.ctx)).toEqual({ kind: 'notSent', row: 7 });
    expect(h.client.ops).toEqual(['create']);
  });

  it('stopped while the create was in flight, and it landed: created all the same', async () => {
    const h = harness({ create: [() => (h.stopper.abort(), created(12))] });
    expect(await sendRow(row(ada), h.ctx)).toMatchObject({ kind: 'created', contactId: '12' });
  });

  it('stopped after "taken", before the search: notSent, no search', async () => {
    const h = harness({ create: [() => (h.stopper.abort(), taken())], search: [found({ id: 55, email: 'ada@example.com' })] });
    expect(await sendRow(row(ada), h.ctx)).toEqual({ kind: 'notSent', row: 7 });
    expect(h.client.ops).toEqual(['create']);
  });

  // A stop while the row waits for its pacing slot: nothing was sent, so no sent mark either (on
  // --resume a marked row with no email/identifier would fail 'unconfirmed' without a request).
  it('stopped while waiting for its pacing slot: never marked sent', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
    const h = harness({ create: [created(1)] }, { pacer: new RatePacer(1) });
    await h.ctx.pacer.take();
    let out: SendResult | undefined;
    void sendRow(row({ name: 'Nameless' }), h.ctx).then((o) => (out = o));
    await vi.advanceTimersByTimeAsync(10);
    h.stopper.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(out).toEqual({ kind: 'notSent', row: 7 });
    expect(h.client.seen).toEqual([]);
    expect(h.marks).toEqual([]);
  });
});

describe('sendRow: one mark per row, rows sharing a key one at a time', () => {
  it('markSent once per row, before its first request, however many requests the row makes', async () => {
    const h = harness(
      {
        create: [http(503, 'busy'), timeout(), taken(), created(2)],
        search: [http(503, 'busy'), found({ id: 55, email: 'ada@example.com' })],
        update: [http(200, { payload: { contact: { id: 55 } } })],
      },
      { onExisting: 'update' },
    );
    const order: string[] = [];
    const mark = h.ctx.markSent;
    h.ctx.markSent = (r) => (order.push(`mark ${r}`), mark(r));
    const create = h.client.createContact.bind(h.client);
    h.client.createContact = (b) => (order.push(`create ${b.name}`), create(b));
    expect(await sendRow(row(ada, 1), h.ctx)).toMatchObject({ kind: 'updated' });
    expect(await sendRow(row({ name: 'Second' }, 2), h.ctx)).toMatchObject({ kind: 'created' });
    expect(h.marks).toEqual([
      { row: 1, requestsBefore: 0 },
      { row: 2, requestsBefore: 6 },
    ]);
    expect(order).toEqual(['mark 1', 'create Ada Lovelace', 'create Ada Lovelace', 'create Ada Lovelace', 'mark 2', 'create Second']);
  });

  it('two rows sharing an email (any case) are never in flight together; others are', async () => {
    let answerFirst!: () => void;
    const h = harness({
      create: [
        () => new Promise((r) => (answerFirst = () => r(created(1)))),
        created(3), // row 3: another email, not held back
        created(2),
      ],
    });
    const one = sendRow(row(ada, 1), h.ctx);
    const two = sendRow(row({ name: 'Ada again', email: 'ADA@example.com' }, 2), h.ctx);
    const three = sendRow(row({ name: 'Grace', email: 'grace@example.com' }, 3), h.ctx);
    expect(await three).toMatchObject({ kind: 'created', contactId: '3' });
    expect(h.client.seen.map((s) => (s.op === 'create' ? s.body.name : s.op))).toEqual(['Ada Lovelace', 'Grace']);
    answerFirst();
    expect(await one).toMatchObject({ kind: 'created', contactId: '1' });
    expect(await two).toMatchObject({ kind: 'created', contactId: '2' });
    expect(h.client.seen.map((s) => (s.op === 'create' ? s.body.name : s.op))).toEqual(['Ada Lovelace', 'Grace', 'Ada again']);
    expect(h.ctx.keyLock.size).toBe(0);
  });
});

describe('checkRow (dry run --check-existing)', () => {
  it('found: existing with the ID; searches only, never creates', async () => {
    const h = harness({ search: [found({ id: 55, email: 'ada@example.com' })] });
    const r = row(ada);
    expect(await checkRow(r, h.ctx)).toEqual({ kind: 'existing', row: 7, values: r.values, contact: ada, contactId: '55' });
    expect(h.client.seen).toEqual([search('ada@example.com')]);
    expect(h.marks).toEqual([]);
  });

  it('not found by any key: would_create', async () => {
    const c = { email: 'ada@example.com', phone_number: '+14155550100', identifier: 'crm-1' };
    const h = harness({ search: [none(), none(), none()] });
    const r = row(c);
    expect(await checkRow(r, h.ctx)).toEqual({ kind: 'would_create', row: 7, values: r.values, contact: c });
    expect(h.client.seen).toEqual([search('crm-1'), search('ada@example.com'), search('+14155550100')]);
  });

  it('the search fails after its retries: notSent with the reason', async () => {
    const h = harness({ search: [http(503, 'a'), netError('ECONNRESET'), http(503, 'c')] });
    expect(await checkRow(row(ada), h.ctx)).toEqual({ kind: 'notSent', row: 7, reason: 'could not check LiveDesk: contact search: LiveDesk server error (HTTP 503: c)' });
    expect(h.client.ops).toEqual(['search', 'search', 'search']);
  });

  it('401: fatal', async () => {
    const h = harness({ search: [http(401, { error: 'nope' })] });
    expect(await checkRow(row(ada), h.ctx)).toEqual({ kind: 'fatal', row: 7, message: expect.stringContaining('refused the credentials') });
    expect(h.client.ops).toEqual(['search']);
  });

  it('stopped before: notSent without a reason, no request', async () => {
    const h = harness({ search: [none()] });
    h.stopper.abort();
    expect(await checkRow(row(ada), h.ctx)).toEqual({ kind: 'notSent', row: 7 });
    expect(h.client.seen).toEqual([]);
  });
});

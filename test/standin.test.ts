// The LiveDesk stand-in's contact API (src/standin/api.ts, contacts.ts): what it answers and
// stores, its variants, and its command. Its faults and shutdown are in standin-faults.test.ts.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startStandin, type Standin } from '../src/standin/server.js';
import { api, create, CONTACTS, KEY, read, SECRET, start, type ContactAnswer, type SearchAnswer, type UpdateAnswer } from './helpers/standin-api.js';

describe('stand-in contact API', () => {
  let standin: Standin;
  beforeAll(async () => {
    standin = await start({ inboxIds: [407, '9'] });
  });
  afterAll(() => standin.close());
  beforeEach(() => standin.reset());

  it('answers 401 for missing or wrong credentials', async () => {
    const missing = await fetch(`${standin.url}${CONTACTS}?q=x`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toHaveProperty('error');
    const wrong = await api(standin, CONTACTS, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${KEY}:nope`).toString('base64')}` },
      body: JSON.stringify({ inbox_id: 407, name: 'A' }),
    });
    expect(wrong.status).toBe(401);
    expect(standin.contacts()).toEqual([]);
  });

  it('creates a contact with the documented response shape and a numeric ID', async () => {
    const res = await create(standin, { name: 'Ada', email: 'Ada@Example.COM', custom_attributes: { plan: 'pro' } });
    expect(res.status).toBe(200);
    const body = await read<ContactAnswer>(res);
    const contact = body.payload.contact;
    expect(typeof contact.id).toBe('number');
    expect(contact).toEqual({
      id: contact.id,
      name: 'Ada',
      email: 'ada@example.com',
      phone_number: null,
      identifier: null,
      blocked: false,
      availability_status: 'offline',
      thumbnail: '',
      additional_attributes: {},
      custom_attributes: { plan: 'pro' },
      created_at: expect.any(Number),
      contact_inboxes: [],
    });
    expect(body.payload.contact_inbox).toEqual({ inbox: null, source_id: null });
    expect(standin.contacts()).toMatchObject([{ id: contact.id, inbox_id: '407', email: 'ada@example.com' }]);
  });

  it('accepts a known inbox given as a string and numbers IDs upwards', async () => {
    const first = await read<ContactAnswer>(create(standin, { inbox_id: '9', name: 'A' }));
    const second = await read<ContactAnswer>(create(standin, { inbox_id: 9, name: 'B' }));
    expect(second.payload.contact.id).toBeGreaterThan(first.payload.contact.id);
  });

  it('answers 404 for an unknown inbox and stores nothing', async () => {
    const res = await create(standin, { inbox_id: 999, name: 'A' });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'Resource could not be found' });
    expect(standin.contacts()).toEqual([]);
  });

  it('answers 422 when inbox_id is missing, 400 for bad JSON and 413 for a huge body', async () => {
    const missing = await api(standin, CONTACTS, { method: 'POST', body: JSON.stringify({ name: 'A' }) });
    expect(missing.status).toBe(422);
    expect((await read<{ message: string }>(missing)).message).toMatch(/inbox/i);
    const bad = await api(standin, CONTACTS, { method: 'POST', body: '{"name":' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toHaveProperty('error');
    const huge = await create(standin, { name: 'x'.repeat(1_100_000) });
    expect(huge.status).toBe(413);
  });

  it('rejects malformed email and phone with Chatwoot messages', async () => {
    const res = await create(standin, { email: 'not an email', phone_number: '0049 170 1234567' });
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({
      message: 'Email Invalid email, Phone number should be in e164 format',
      attributes: ['email', 'phone_number'],
    });
    expect(standin.contacts()).toEqual([]);
  });

  it('rejects duplicates: email case-insensitively, identifier and phone exactly', async () => {
    await create(standin, { email: 'dup@example.com', phone_number: '+491701234567', identifier: 'crm-1' });
    const res = await create(standin, { email: 'DUP@example.com', phone_number: '+491701234567', identifier: 'crm-1' });
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({
      message: 'Email has already been taken, Identifier has already been taken, Phone number has already been taken',
      attributes: ['email', 'identifier', 'phone_number'],
    });
    const otherCase = await create(standin, { identifier: 'CRM-1' });
    expect(otherCase.status).toBe(200);
    expect(standin.contacts()).toHaveLength(2);
  });

  it('treats empty strings and null as absent', async () => {
    expect((await create(standin, { email: '', phone_number: null, identifier: '' })).status).toBe(200);
    expect((await create(standin, { email: '', phone_number: null, identifier: '' })).status).toBe(200);
  });

  it('searches case-insensitively with 15 contacts a page', async () => {
    for (let i = 0; i < 17; i++) await create(standin, { name: `Bulk ${i}`, email: `bulk${i}@example.com` });
    await create(standin, { name: 'Grace', phone_number: '+15551234567' });
    const first = await read<SearchAnswer>(api(standin, `${CONTACTS}?q=BULK`));
    expect(first.meta).toEqual({ count: 17, current_page: 1 });
    expect(first.payload).toHaveLength(15);
    const second = await read<SearchAnswer>(api(standin, `${CONTACTS}?q=bulk&page=2`));
    expect(second.meta).toEqual({ count: 17, current_page: 2 });
    expect(second.payload.map((c) => c.email)).toEqual(['bulk15@example.com', 'bulk16@example.com']);
    const phone = await read<SearchAnswer>(api(standin, `${CONTACTS}?q=${encodeURIComponent('+15551234567')}`));
    expect(phone.payload).toMatchObject([{ name: 'Grace', phone_number: '+15551234567' }]);
  });

  it('PATCH merges custom_attributes and keeps uniqueness, excluding the contact itself', async () => {
    const a = (await read<ContactAnswer>(create(standin, { email: 'a@example.com', custom_attributes: { x: 1 } })))
      .payload.contact;
    await create(standin, { email: 'b@example.com' });
    const patch = (id: number, body: unknown) =>
      api(standin, `${CONTACTS}/${id}`, { method: 'PATCH', body: JSON.stringify(body) });

    const merged = await patch(a.id, { email: 'a@example.com', name: 'A', custom_attributes: { y: 2 } });
    expect(merged.status).toBe(200);
    const body = await read<UpdateAnswer & { payload: { contact?: unknown } }>(merged);
    expect(body.payload).toMatchObject({ id: a.id, name: 'A', email: 'a@example.com', custom_attributes: { x: 1, y: 2 } });
    expect(body.payload.contact).toBeUndefined();

    const clash = await patch(a.id, { email: 'B@example.com' });
    expect(clash.status).toBe(422);
    expect(await clash.json()).toEqual({ message: 'Email has already been taken', attributes: ['email'] });
    const gone = await patch(a.id + 1000, { name: 'Z' });
    expect(gone.status).toBe(404);
    expect(await gone.json()).toEqual({ error: 'Resource could not be found' });
  });

  it('answers unknown routes with 404 JSON', async () => {
    const res = await api(standin, '/api/v2/accounts/inboxes');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/json/);
  });

  it('serves the admin endpoints without auth', async () => {
    await create(standin, { name: 'A' });
    const contacts = await (await fetch(`${standin.url}/_standin/contacts`)).json();
    expect(contacts).toMatchObject([{ name: 'A' }]);
    const stats = await (await fetch(`${standin.url}/_standin/stats`)).json();
    expect(stats).toMatchObject({ requests: 1, creates: 1, byStatus: { '200': 1 } });
    const bad = await fetch(`${standin.url}/_standin/config`, { method: 'POST', body: '{"faults":{"errorRate":2}}' });
    expect(bad.status).toBe(400);
    const config = await fetch(`${standin.url}/_standin/config`, {
      method: 'POST',
      body: JSON.stringify({ faults: { errorRate: 1 } }),
    });
    expect(config.status).toBe(200);
    expect((await create(standin, { name: 'B' })).status).toBe(500);
    await fetch(`${standin.url}/_standin/config`, { method: 'POST', body: '{"faults":{}}' });
    expect((await fetch(`${standin.url}/_standin/reset`, { method: 'POST' })).status).toBe(200);
    expect(standin.contacts()).toEqual([]);
    expect(standin.stats().requests).toBe(0);
  });
});

describe('stand-in variants', () => {
  it('legacyErrors sends message without attributes', async () => {
    const standin = await start({ legacyErrors: true });
    try {
      const res = await create(standin, { email: 'bad' });
      expect(await res.json()).toEqual({ message: 'Email Invalid email' });
    } finally {
      await standin.close();
    }
  });

  it.each([
    ['none', (value: string | null) => expect(value).toBeNull()],
    ['seconds', (value: string | null) => expect(value).toBe('1')],
    [
      'date',
      (value: string | null) => {
        expect(value).toMatch(/GMT$/);
        expect(Date.parse(value ?? '')).toBeGreaterThan(Date.now() - 1000);
      },
    ],
  ] as const)('rate limit answers 429 text/plain, Retry-After %s', async (retryAfter, checkHeader) => {
    const standin = await start({ rateLimit: 2, retryAfter });
    try {
      const answers = await Promise.all([0, 1, 2].map(() => api(standin, `${CONTACTS}?q=x`)));
      const limited = answers.find((res) => res.status === 429);
      expect(answers.filter((res) => res.status === 200)).toHaveLength(2);
      expect(limited?.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await limited?.text()).toBe('Retry later');
      checkHeader(limited?.headers.get('retry-after') ?? null);
      expect(standin.stats().rateLimited).toBe(1);
    } finally {
      await standin.close();
    }
  });
});
describe('the standin command with a bad flag or a busy port', () => {
  it('stops with exit 2 and a message, not a stack trace', async () => {
    const { runCli } = await import('./helpers/cli.js');
    const bad = await runCli(['standin', '--port', 'abc']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--port must be 0..65535, got "abc"');
    expect(bad.stderr).not.toMatch(/\n\s+at /);

    const busy = await startStandin({ port: 0, apiKey: KEY, apiSecret: SECRET });
    try {
      const port = new URL(busy.url).port;
      const taken = await runCli(['standin', '--port', port]);
      expect(taken.code).toBe(2);
      expect(taken.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(taken.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await busy.close();
    }
  });
});

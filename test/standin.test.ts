import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startStandin, type Standin, type StandinOptions } from '../src/standin/server.js';

const KEY = 'test-key';
const SECRET = 'test-secret';
const AUTH = `Basic ${Buffer.from(`${KEY}:${SECRET}`).toString('base64')}`;
const CONTACTS = '/api/v2/accounts/contacts';

interface ApiContact {
  id: number;
  name: string | null;
  email: string | null;
  phone_number: string | null;
  custom_attributes: Record<string, unknown>;
}
interface ContactAnswer {
  payload: { contact: ApiContact; contact_inbox?: unknown };
}
interface SearchAnswer {
  meta: { count: number; current_page: number };
  payload: ApiContact[];
}

async function read<T>(res: Response | Promise<Response>): Promise<T> {
  return (await (await res).json()) as T;
}

function start(extra: Partial<StandinOptions> = {}): Promise<Standin> {
  return startStandin({ port: 0, apiKey: KEY, apiSecret: SECRET, seed: 1, ...extra });
}

function api(standin: Standin, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = { authorization: AUTH, 'content-type': 'application/json', ...init.headers };
  return fetch(`${standin.url}${path}`, { ...init, headers });
}

function create(standin: Standin, body: Record<string, unknown>, init: RequestInit = {}): Promise<Response> {
  return api(standin, CONTACTS, { method: 'POST', body: JSON.stringify({ inbox_id: 407, ...body }), ...init });
}

/** What seed 42 with errorRate 0.5 gave for twelve creates before the hostile modes were added. */
const SEED_42_STATUSES = [500, 200, 500, 500, 200, 500, 500, 500, 200, 500, 200, 200];

async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 2 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

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
    expect((await read<ContactAnswer>(merged)).payload.contact).toMatchObject({ name: 'A', custom_attributes: { x: 1, y: 2 } });

    const clash = await patch(a.id, { email: 'B@example.com' });
    expect(clash.status).toBe(422);
    expect(await clash.json()).toEqual({ message: 'Email has already been taken', attributes: ['email'] });
    expect((await patch(a.id + 1000, { name: 'Z' })).status).toBe(404);
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

describe('stand-in faults', () => {
  let standin: Standin;
  beforeAll(async () => {
    standin = await start();
  });
  afterAll(() => standin.close());
  beforeEach(() => {
    standin.setFaults({});
    standin.reset();
  });

  it('resetBeforeRate 1 drops the connection and stores nothing', async () => {
    standin.setFaults({ resetBeforeRate: 1 });
    await expect(create(standin, { name: 'A' })).rejects.toThrow();
    expect(standin.contacts()).toEqual([]);
    expect(standin.stats().resets).toBe(1);
  });

  it('resetAfterRate 1 stores the contact, yet the client sees a socket error', async () => {
    standin.setFaults({ resetAfterRate: 1 });
    await expect(create(standin, { name: 'A' })).rejects.toThrow();
    expect(standin.contacts()).toMatchObject([{ name: 'A' }]);
  });

  it('hangAfterRate 1 stores the contact and never answers', async () => {
    standin.setFaults({ hangAfterRate: 1 });
    const error = await create(standin, { name: 'A' }, { signal: AbortSignal.timeout(300) }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('TimeoutError');
    expect(standin.contacts()).toMatchObject([{ name: 'A' }]);
    expect(standin.stats().hangs).toBe(1);
    await waitFor(() => standin.stats().inFlight === 0);
  });

  it('errorRate 1 answers 500 and stores nothing', async () => {
    standin.setFaults({ errorRate: 1 });
    const res = await create(standin, { name: 'A' });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: 'Internal server error' });
    expect(standin.contacts()).toEqual([]);
  });

  it('redirectRate 1 answers 302 elsewhere and stores nothing', async () => {
    standin.setFaults({ redirectRate: 1 });
    const res = await create(standin, { name: 'A' }, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('http://127.0.0.1:1/elsewhere');
    await res.arrayBuffer();
    expect(standin.contacts()).toEqual([]);
    expect(standin.stats().byFault).toEqual({ redirect: 1 });
  });

  it('badBodyRate 1 stores the contact and answers 200 text/html', async () => {
    standin.setFaults({ badBodyRate: 1 });
    const res = await create(standin, { name: 'A' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toBe('<html>oops</html>');
    expect(standin.contacts()).toMatchObject([{ name: 'A' }]);
  });

  it('noIdRate 1 stores the contact and answers 200 JSON without an ID', async () => {
    standin.setFaults({ noIdRate: 1 });
    const res = await create(standin, { name: 'A' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ payload: { contact: {} } });
    expect(standin.contacts()).toMatchObject([{ name: 'A' }]);
  });

  it('hugeBodyRate 1 stores the contact and streams 10 MB of JSON without a Content-Length', async () => {
    standin.setFaults({ hugeBodyRate: 1 });
    const res = await create(standin, { name: 'A' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBeNull();
    const text = await res.text();
    expect(text.length).toBe(10 * 1024 * 1024);
    const body = JSON.parse(text) as ContactAnswer;
    expect(body.payload.contact.id).toBe(standin.contacts()[0]!.id);
  });

  it('hugeBodyRate: a client that stops reading is let go', async () => {
    standin.setFaults({ hugeBodyRate: 1 });
    const res = await create(standin, { name: 'A' });
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    await waitFor(() => standin.stats().inFlight === 0);
  });

  it('neverEndRate 1 stores the contact, sends 200 and a body that keeps coming until the client leaves', async () => {
    standin.setFaults({ neverEndRate: 1 });
    const controller = new AbortController();
    const res = await create(standin, { name: 'A' }, { signal: controller.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let received = 0;
    // Two reads past the first chunk: the body is still coming, byte by byte.
    for (let i = 0; i < 3; i++) received += (await reader.read()).value?.length ?? 0;
    expect(received).toBeGreaterThanOrEqual('{"payload":'.length + 2);
    controller.abort();
    expect(standin.contacts()).toMatchObject([{ name: 'A' }]);
    await waitFor(() => standin.stats().inFlight === 0);
  });

  it('pre-storage faults win over hostile answers, hostile answers over nothing', async () => {
    standin.setFaults({ errorRate: 1, noIdRate: 1 });
    expect((await create(standin, { name: 'A' })).status).toBe(500);
    standin.setFaults({ redirectRate: 1, resetAfterRate: 1 });
    expect((await create(standin, { name: 'B' }, { redirect: 'manual' })).status).toBe(302);
    expect(standin.contacts()).toEqual([]);
  });

  it('the hostile modes are settable through /_standin/config and checked', async () => {
    const bad = await fetch(`${standin.url}/_standin/config`, { method: 'POST', body: '{"faults":{"noIdRate":1.5}}' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'noIdRate must be a number from 0 to 1' });
    const ok = await fetch(`${standin.url}/_standin/config`, { method: 'POST', body: '{"faults":{"noIdRate":1}}' });
    expect(await ok.json()).toMatchObject({ faults: { noIdRate: 1 } });
    expect(await (await create(standin, { name: 'A' })).json()).toEqual({ payload: { contact: {} } });
  });

  it('adding the hostile modes left the seeded sequence of the classic faults as it was', async () => {
    // Recorded before the hostile modes existed: seed 42, errorRate 0.5, twelve creates.
    const run = await start({ seed: 42, faults: { errorRate: 0.5, noIdRate: 0 } });
    try {
      const answers = [];
      for (let i = 0; i < 12; i++) answers.push((await create(run, { name: `S${i}` })).status);
      expect(answers).toEqual(SEED_42_STATUSES);
    } finally {
      await run.close();
    }
  });

  it('faults leave searches alone', async () => {
    standin.setFaults({ errorRate: 1, resetBeforeRate: 1, redirectRate: 1, neverEndRate: 1, hugeBodyRate: 1 });
    expect((await api(standin, `${CONTACTS}?q=x`)).status).toBe(200);
  });

  it('latency delays answers, and maxInFlight sees concurrent requests', async () => {
    standin.setFaults({ latencyMs: 120 });
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => create(standin, { name: `C${i}` })));
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
    expect(answers.map((res) => res.status)).toEqual([200, 200, 200, 200, 200]);
    expect(standin.stats()).toMatchObject({ maxInFlight: 5, inFlight: 0, creates: 5 });
  });

  it('is deterministic for a given seed', async () => {
    const statuses = async () => {
      const run = await start({ seed: 42, faults: { errorRate: 0.5 } });
      try {
        const answers = [];
        for (let i = 0; i < 12; i++) answers.push((await create(run, { name: `S${i}` })).status);
        return answers;
      } finally {
        await run.close();
      }
    };
    const first = await statuses();
    expect(first).toContain(500);
    expect(first).toContain(200);
    expect(await statuses()).toEqual(first);
  });
});

describe('stand-in shutdown', () => {
  it('close() resolves promptly while a body never ends', async () => {
    const standin = await start({ faults: { neverEndRate: 1 } });
    const res = await create(standin, { name: 'A' });
    const reading = res.text().catch((e: unknown) => e);
    await standin.close();
    expect(await reading).toBeInstanceOf(Error);
  });

  it('close() resolves promptly while a request hangs or waits on latency', async () => {
    const standin = await start({ faults: { hangAfterRate: 1 } });
    const hung = create(standin, { name: 'A' }).catch((e: unknown) => e);
    await waitFor(() => standin.stats().hangs === 1);
    standin.setFaults({ latencyMs: 10_000 });
    const slow = api(standin, `${CONTACTS}?q=x`).catch((e: unknown) => e);
    await waitFor(() => standin.stats().inFlight === 2);
    const started = performance.now();
    await standin.close();
    expect(performance.now() - started).toBeLessThan(500);
    expect(await hung).toBeInstanceOf(Error);
    expect(await slow).toBeInstanceOf(Error);
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

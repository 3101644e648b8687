// The stand-in's injected faults (src/standin/faults.ts) and its shutdown under them.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Standin } from '../src/standin/server.js';
import { BIN } from './helpers/cli.js';
import { api, AUTH, create, CONTACTS, KEY, read, SECRET, SEED_42_STATUSES, start, waitFor, type ContactAnswer } from './helpers/standin-api.js';

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

  it('goneOnUpdateRate 1 deletes the contact before a PATCH, which is answered 404; creates and their sequence untouched', async () => {
    const a = (await read<ContactAnswer>(create(standin, { email: 'gone@example.com' }))).payload.contact;
    standin.setFaults({ goneOnUpdateRate: 1 });
    expect((await create(standin, { email: 'kept@example.com' })).status).toBe(200);
    const res = await api(standin, `${CONTACTS}/${a.id}`, { method: 'PATCH', body: JSON.stringify({ name: 'Z' }) });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'Resource could not be found' });
    expect(standin.contacts().map((c) => c.email)).toEqual(['kept@example.com']);
    // Its email is free again, as after a real deletion.
    expect((await create(standin, { email: 'gone@example.com' })).status).toBe(200);
    expect(standin.stats().byFault).toEqual({ goneOnUpdate: 1 });

    const run = await start({ seed: 42, faults: { errorRate: 0.5, goneOnUpdateRate: 0.5 } });
    try {
      const answers = [];
      for (let i = 0; i < 12; i++) {
        answers.push((await create(run, { name: `S${i}` })).status);
        await api(run, `${CONTACTS}/1`, { method: 'PATCH', body: '{}' });
      }
      expect(answers).toEqual(SEED_42_STATUSES);
    } finally {
      await run.close();
    }
  });

  it('echoAuthRate 1: a gateway that echoes the credentials, nothing stored; its own stream leaves the seeded sequence as it was', async () => {
    standin.setFaults({ echoAuthRate: 1, echoAuthStatus: 503 });
    const res = await create(standin, { name: 'A' });
    const body = await res.text();
    expect(res.status).toBe(503);
    for (const f of [AUTH, `${KEY}:${SECRET}`, `key=${KEY}`, `secret=${SECRET}`, encodeURIComponent(`${KEY}:${SECRET}`)]) expect(body).toContain(f);
    expect(res.headers.get('x-echo-authorization')).toBe(AUTH);
    expect(standin.contacts()).toEqual([]);
    expect(standin.stats().byFault).toEqual({ echoAuth: 1 });
    const bad = await fetch(`${standin.url}/_standin/config`, { method: 'POST', body: '{"faults":{"echoAuthStatus":302}}' });
    expect(await bad.json()).toEqual({ error: 'echoAuthStatus must be an HTTP status from 400 to 599' });

    const run = await start({ seed: 42, faults: { errorRate: 0.5, echoAuthRate: 0 } });
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

describe('the standin command', () => {
  it('takes the fault flags (the hostile modes, gone-on-update)', async () => {
    const flags = ['--bad-body-rate', '1', '--no-id-rate', '0.5', '--huge-body-rate', '0.5', '--never-end-rate', '0.5', '--redirect-rate', '0', '--gone-on-update-rate', '1'];
    const child = spawn(process.execPath, [BIN, 'standin', '--port', '0', ...flags], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LIVEDESK_API_KEY: KEY, LIVEDESK_API_SECRET: SECRET },
    });
    try {
      let out = '';
      child.stdout.setEncoding('utf8');
      for await (const chunk of child.stdout) {
        out += chunk as string;
        if (/listening on (\S+)/.test(out)) break;
      }
      const url = /listening on (\S+)/.exec(out)![1]!;
      const headers = { authorization: AUTH, 'content-type': 'application/json' };
      const res = await fetch(`${url}${CONTACTS}`, { method: 'POST', headers, body: JSON.stringify({ inbox_id: 407, name: 'Ada', email: 'ada@example.com' }) });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('<html>oops</html>');
      const stored = (await (await fetch(`${url}/_standin/contacts`)).json()) as Array<{ id: number }>;
      const patch = await fetch(`${url}${CONTACTS}/${stored[0]!.id}`, { method: 'PATCH', headers, body: '{"name":"B"}' });
      expect(patch.status).toBe(404);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'close');
    }
  });
});

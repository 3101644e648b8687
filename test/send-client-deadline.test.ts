// The client's per-request deadline is kept by one shared timer over the requests in flight (no
// AbortController or timer per request): each request still times out at its own deadline, an
// answered one is unaffected, and one still waiting for a connection is never sent.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createClient, RequestTimeoutError } from '../src/send/client.js';
import { classifyError } from '../src/send/classify.js';

async function server(handler: (body: string, res: ServerResponse, req: IncomingMessage) => void): Promise<{ url: string; server: Server; requests: () => number }> {
  let n = 0;
  const s = createServer((req, res) => {
    n++;
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => handler(body, res, req));
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, server: s, requests: () => n };
}

const stop = (s: Server): Promise<void> =>
  new Promise((r) => {
    s.closeAllConnections();
    s.close(() => r());
  });

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('client: one deadline timer for every request', () => {
  it('hung requests time out at their own deadline; answered ones in between are not affected', async () => {
    const srv = await server((body, res) => {
      if (body.includes('hang')) return; // never answers
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ payload: { contact: { id: 7 } } }));
    });
    const c = createClient({ baseUrl: srv.url, apiKey: 'key-1234', apiSecret: 'secret-1234', connections: 8, timeoutMs: 400 });
    try {
      const t0 = performance.now();
      const kinds = ['hang', 'ok', 'hang', 'ok', 'ok'];
      const runs = kinds.map(async (kind, i) => {
        await sleep(i * 60);
        const started = performance.now();
        try {
          const a = await c.createContact({ inbox_id: 1, name: kind, email: `${kind}${i}@example.com` });
          return { kind, ok: a.status, ms: performance.now() - started };
        } catch (e) {
          return { kind, error: e, ms: performance.now() - started };
        }
      });
      const out = await Promise.all(runs);
      for (const r of out) {
        if (r.kind === 'ok') {
          expect(r).toMatchObject({ ok: 200 });
          expect(r.ms).toBeLessThan(390);
        } else {
          expect(r.error).toBeInstanceOf(RequestTimeoutError);
          expect((r.error as Error).message).toBe('no complete answer within 400 ms');
          expect(classifyError(r.error)).toMatchObject({ kind: 'retry', code: 'timeout', ambiguous: true });
          // Its own deadline: not the first request's, not much later.
          expect(r.ms).toBeGreaterThanOrEqual(390);
          expect(r.ms).toBeLessThan(3000);
        }
      }
      expect(performance.now() - t0).toBeLessThan(5000);
    } finally {
      await c.close().catch(() => {});
      await stop(srv.server);
    }
  });

  it('a request still waiting for a connection when its deadline passes times out and is never sent', async () => {
    const srv = await server(() => {
      // never answers
    });
    const c = createClient({ baseUrl: srv.url, apiKey: 'key-1234', apiSecret: 'secret-1234', connections: 1, timeoutMs: 300 });
    try {
      const results = await Promise.allSettled([c.createContact({ inbox_id: 1, name: 'a' }), c.createContact({ inbox_id: 1, name: 'b' })]);
      for (const r of results) {
        expect(r.status).toBe('rejected');
        expect((r as PromiseRejectedResult).reason).toBeInstanceOf(RequestTimeoutError);
      }
      await sleep(200);
      expect(srv.requests()).toBe(1);
    } finally {
      await c.close().catch(() => {});
      await stop(srv.server);
    }
  });

  it('one hung request behind thousands of answered ones still times out at its deadline', async () => {
    const srv = await server((body, res) => {
      if (body.includes('hang')) return;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ payload: { contact: { id: 1 } } }));
    });
    const c = createClient({ baseUrl: srv.url, apiKey: 'key-1234', apiSecret: 'secret-1234', connections: 16, timeoutMs: 3000 });
    try {
      const started = performance.now();
      const hung = c.createContact({ inbox_id: 1, name: 'hang' }).then(
        () => 'answered',
        (e: unknown) => ({ e, ms: performance.now() - started }),
      );
      let next = 0;
      const statuses: number[] = [];
      const worker = async (): Promise<void> => {
        while (next < 3000) {
          next++;
          statuses.push((await c.createContact({ inbox_id: 1, name: 'ok' })).status);
        }
      };
      await Promise.all(Array.from({ length: 15 }, worker));
      expect(statuses.filter((s) => s === 200)).toHaveLength(3000);
      const h = (await hung) as { e: unknown; ms: number };
      expect(h.e).toBeInstanceOf(RequestTimeoutError);
      expect(h.ms).toBeGreaterThanOrEqual(2990);
    } finally {
      await c.close().catch(() => {});
      await stop(srv.server);
    }
  });

  it('many requests answered at once: each settles once, with its own answer', async () => {
    const srv = await server((body, res) => {
      const { name } = JSON.parse(body) as { name: string };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ payload: { contact: { id: Number(name) } } }));
    });
    const c = createClient({ baseUrl: srv.url, apiKey: 'key-1234', apiSecret: 'secret-1234', connections: 16, timeoutMs: 5000 });
    try {
      const answers = await Promise.all(Array.from({ length: 500 }, (_, i) => c.createContact({ inbox_id: 1, name: String(i) })));
      expect(answers.map((a) => (JSON.parse(a.body) as { payload: { contact: { id: number } } }).payload.contact.id)).toEqual(Array.from({ length: 500 }, (_, i) => i));
      expect(answers.every((a) => a.status === 200 && !a.truncated && a.incomplete === undefined)).toBe(true);
    } finally {
      await c.close();
      await stop(srv.server);
    }
  });
});

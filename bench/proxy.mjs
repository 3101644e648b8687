// A timestamping loopback proxy, used only for the "realistic server" run: the importer talks to
// it, it forwards every request to the stand-in and records, per request, when it arrived, when
// its answer was sent back, the status, and the body (to check the importer's bodies against the
// ceiling's). At a few hundred requests a second its own overhead is well under a millisecond,
// against 50 ms of server latency; it is never used for the throughput runs.
import { createServer } from 'node:http';
import { Pool } from 'undici';

/**
 * @param {string} target the stand-in's base URL
 * @returns {Promise<{url: string, log: Array<{t0: number, t1: number, status: number, body: string}>, close: () => Promise<void>}>}
 */
export async function startProxy(target, connections = 64) {
  const pool = new Pool(target, { connections, keepAliveTimeout: 60_000 });
  const log = [];
  const server = createServer({ keepAlive: true }, async (req, res) => {
    const t0 = performance.now();
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks).toString('utf8');
    try {
      const headers = { ...req.headers };
      delete headers.host;
      delete headers.connection;
      const up = await pool.request({ method: req.method, path: req.url, headers, body: body === '' ? undefined : body });
      const answer = Buffer.from(await up.body.arrayBuffer());
      const out = {};
      for (const [k, v] of Object.entries(up.headers)) if (k !== 'connection' && k !== 'keep-alive' && k !== 'transfer-encoding') out[k] = v;
      out['content-length'] = String(answer.length);
      res.writeHead(up.statusCode, out).end(answer);
      res.once('finish', () => log.push({ t0, t1: performance.now(), status: up.statusCode, body }));
    } catch (e) {
      log.push({ t0, t1: performance.now(), status: 0, body });
      res.destroy(e);
    }
  });
  server.keepAliveTimeout = 65_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    log,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await pool.close();
    },
  };
}

// The stand-in's own endpoints under /_standin/ (no credentials, no rate limit): what it holds,
// its counters, a reset, and changing faults and the rate limit while it runs.
import type { IncomingMessage } from 'node:http';
import { checkFaults } from './faults.js';
import { json, readJsonObject, type Answer } from './http.js';
import type { Standin, StandinState } from './server.js';

/** Checks a rate limit the way startStandin, setRateLimit and POST /_standin/config all need. */
export function checkRateLimit(n: unknown): asserts n is number {
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
    throw new RangeError('rateLimit must be a number >= 0 (0 = unlimited)');
  }
}

/** The router for `/_standin/` requests. Body errors are thrown, for the caller to answer. */
export function controlApi(state: StandinState, standin: Standin): (req: IncomingMessage, url: URL) => Promise<Answer> {
  const configure = (body: Record<string, unknown>): Answer => {
    try {
      const unknownKey = Object.keys(body).find((key) => key !== 'faults' && key !== 'rateLimit');
      if (unknownKey !== undefined) throw new RangeError(`unknown config key "${unknownKey}"`);
      const next = body.faults === undefined ? state.faults : checkFaults(body.faults);
      if (body.rateLimit !== undefined) checkRateLimit(body.rateLimit);
      state.faults = next;
      if (typeof body.rateLimit === 'number') standin.setRateLimit(body.rateLimit);
      return json(200, { faults: state.faults, rateLimit: state.rateLimit });
    } catch (error) {
      return json(400, { error: (error as Error).message });
    }
  };

  return async (req, url) => {
    const action = `${req.method} ${url.pathname}`;
    if (action === 'GET /_standin/contacts') return json(200, standin.contacts());
    if (action === 'GET /_standin/stats') return json(200, standin.stats());
    if (action === 'POST /_standin/reset') {
      standin.reset();
      return json(200, { ok: true });
    }
    if (action === 'POST /_standin/config') return configure(await readJsonObject(req));
    return json(404, { error: 'Not found' });
  };
}

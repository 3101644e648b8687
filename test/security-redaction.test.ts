// The logger's redaction, checked from the outside: whatever object carries a credential, at
// whatever depth the pipeline might log it, the file gets "[redacted]" and never the value.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';
import { jsonErrorOffset } from '../src/security/parse-errors.js';

const SECRET = 'rd-9Kq2Vx7Lm';
const TOKEN = Buffer.from(`key:${SECRET}`).toString('base64');

function logged(obj: object): { line: Record<string, unknown>; text: string; human: string } {
  const file = join(mkdtempSync(join(tmpdir(), 'ldi-redact-')), 'run.log');
  const human = new PassThrough();
  let shown = '';
  human.on('data', (d: Buffer) => (shown += d.toString()));
  const log = createLogger({ level: 'info', file, human });
  log.info(obj, 'a line');
  log.flush();
  const text = readFileSync(file, 'utf8');
  return { line: JSON.parse(text.trim()) as Record<string, unknown>, text, human: shown };
}

const cases: Array<[string, object, string]> = [
  ['authorization', { authorization: `Basic ${TOKEN}` }, 'authorization'],
  ['Authorization', { Authorization: `Basic ${TOKEN}` }, 'Authorization'],
  ['headers.authorization', { headers: { authorization: `Basic ${TOKEN}` } }, 'headers.authorization'],
  ['req.headers.authorization', { req: { headers: { authorization: `Basic ${TOKEN}` } } }, 'req.headers.authorization'],
  ['request.headers.authorization', { request: { headers: { authorization: `Basic ${TOKEN}` } } }, 'request.headers.authorization'],
  ['err.request.headers.authorization', { err: { request: { headers: { authorization: `Basic ${TOKEN}` } } } }, 'err.request.headers.authorization'],
  ['options.headers.Authorization', { options: { headers: { Authorization: `Basic ${TOKEN}` } } }, 'options.headers.Authorization'],
  ['apiKey', { apiKey: SECRET }, 'apiKey'],
  ['apiSecret', { apiSecret: SECRET }, 'apiSecret'],
  ['opts.apiSecret', { opts: { apiSecret: SECRET } }, 'opts.apiSecret'],
  ['client.opts.apiKey', { client: { opts: { apiKey: SECRET } } }, 'client.opts.apiKey'],
  ['run.client.opts.apiSecret', { run: { client: { opts: { apiSecret: SECRET } } } }, 'run.client.opts.apiSecret'],
  ['env.LIVEDESK_API_SECRET', { env: { LIVEDESK_API_SECRET: SECRET } }, 'env.LIVEDESK_API_SECRET'],
  ['LIVEDESK_API_KEY', { LIVEDESK_API_KEY: SECRET }, 'LIVEDESK_API_KEY'],
];

function at(obj: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);
}

describe('log redaction', () => {
  it.each(cases)('censors %s', (_name, obj, path) => {
    const { line, text, human } = logged(obj);
    expect(at(line, path)).toBe('[redacted]');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(TOKEN);
    expect(human).not.toContain(SECRET);
  });

  it('leaves the rest of the line alone', () => {
    const { line } = logged({ row: 7, error: 'timeout', headers: { 'content-type': 'application/json', authorization: 'x' } });
    expect(line).toMatchObject({ row: 7, error: 'timeout', headers: { 'content-type': 'application/json', authorization: '[redacted]' }, msg: 'a line' });
  });
});

describe('parse errors are placed without quoting the text', () => {
  it('jsonErrorOffset agrees with JSON.parse on what is JSON, over thousands of damaged texts', () => {
    const base = JSON.stringify({ input: 'a.csv', inboxId: 407, rate: 1.5e1, neg: -0.25, ok: true, none: null, list: [1, 'two', { three: '\\u00e9\n"' }], esc: 'tab\there' }, null, 2);
    const alphabet = ['{', '}', '[', ']', ',', ':', '"', '\\', ' ', '\n', 'a', '1', '-', '.', 'e', 't', 'n', '\u0001'];
    let seed = 7;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    let invalid = 0;
    for (let k = 0; k < 5000; k++) {
      let t = base;
      for (let m = 0, edits = 1 + random(3); m < edits; m++) {
        const at = random(t.length + 1);
        const op = random(3);
        const c = alphabet[random(alphabet.length)]!;
        t = op === 0 ? t.slice(0, at) + c + t.slice(at) : op === 1 ? t.slice(0, at) + t.slice(at + 1) : t.slice(0, at) + c + t.slice(at + 1);
      }
      let valid = true;
      let v8At: number | undefined;
      try {
        JSON.parse(t);
      } catch (e) {
        valid = false;
        invalid++;
        const m = /at position (\d+)/.exec((e as Error).message);
        v8At = m ? Number(m[1]) : (e as Error).message.includes('end of JSON input') ? t.length : undefined;
      }
      const offset = jsonErrorOffset(t);
      if (valid) expect(offset, t).toBe(t.length);
      // Where V8 says where, both place the error at the same character.
      else if (v8At !== undefined) expect(offset, t).toBe(v8At);
      expect(offset).toBeLessThanOrEqual(t.length);
    }
    expect(invalid).toBeGreaterThan(2500);
  });
});

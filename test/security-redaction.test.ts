// The logger's redaction, checked from the outside: whatever object carries a credential, at
// whatever depth the pipeline might log it, the file gets "[redacted]" and never the value.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';

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

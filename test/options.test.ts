import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultOutputPath, normalizeOptions, UsageError } from '../src/options.js';

const dir = mkdtempSync(join(tmpdir(), 'ldi-opts-'));
const input = join(dir, 'contacts.csv');
writeFileSync(input, 'name\nA\n');
const env = { LIVEDESK_API_KEY: 'k', LIVEDESK_API_SECRET: 's' };

describe('normalizeOptions', () => {
  it('applies the documented defaults', () => {
    const o = normalizeOptions({ file: input, inboxId: '407' }, env);
    expect(o).toMatchObject({
      inboxId: 407,
      baseUrl: 'https://livedesk-api.engagelab.com',
      concurrency: 8,
      rate: 10,
      retries: 5,
      timeoutMs: 30000,
      results: join(dir, 'contacts.results.csv'),
      failures: join(dir, 'contacts.failures.csv'),
      dryRun: false,
    });
  });

  it('takes inbox and base URL from the environment, flags first', () => {
    const o = normalizeOptions({ file: input }, { ...env, LIVEDESK_INBOX_ID: 'abc', LIVEDESK_BASE_URL: 'http://127.0.0.1:4010/' });
    expect(o.inboxId).toBe('abc');
    expect(o.baseUrl).toBe('http://127.0.0.1:4010');
    expect(normalizeOptions({ file: input, inboxId: '9' }, { ...env, LIVEDESK_INBOX_ID: 'abc' }).inboxId).toBe(9);
  });

  it('a dry run needs neither credentials nor an inbox', () => {
    expect(normalizeOptions({ file: input, dryRun: true }, {}).dryRun).toBe(true);
  });

  const bad: Array<[string, Record<string, unknown>, NodeJS.ProcessEnv, RegExp]> = [
    ['no credentials', { file: input, inboxId: '1' }, {}, /LIVEDESK_API_KEY and LIVEDESK_API_SECRET must be set/],
    ['no secret', { file: input, inboxId: '1' }, { LIVEDESK_API_KEY: 'k' }, /^LIVEDESK_API_SECRET must be set/],
    ['no inbox', { file: input }, env, /--inbox-id is required/],
    ['missing input', { file: join(dir, 'nope.csv'), inboxId: '1' }, env, /does not exist/],
    ['concurrency 0', { file: input, inboxId: '1', concurrency: 0 }, env, /--concurrency must be a whole number from 1 to 256; got 0/],
    ['rate NaN', { file: input, inboxId: '1', rate: 'fast' }, env, /--rate must be a number/],
    ['threads as yargs hands over "two"', { file: input, inboxId: '1', threads: Number.NaN }, env, /--threads must be a whole number from 0 to 16; got a value that is not a number/],
    ['threads 17', { file: input, inboxId: '1', threads: 17 }, env, /--threads must be a whole number from 0 to 16; got 17/],
    ['retries 1.5', { file: input, inboxId: '1', retries: 1.5 }, env, /--retries/],
    ['timeout 10', { file: input, inboxId: '1', timeout: 10 }, env, /--timeout/],
    ['ftp url', { file: input, inboxId: '1', baseUrl: 'ftp://x' }, env, /--base-url must start with https/],
    ['url with creds', { file: input, inboxId: '1', baseUrl: 'https://u:p@x.example' }, env, /must not carry credentials/],
    ['not a url', { file: input, inboxId: '1', baseUrl: 'livedesk' }, env, /is not a URL/],
    ['weird inbox', { file: input, inboxId: '4 07' }, env, /--inbox-id must be/],
    ['same outputs', { file: input, inboxId: '1', results: join(dir, 'x.csv'), failures: join(dir, 'x.csv') }, env, /must be different files/],
    ['output into missing folder', { file: input, inboxId: '1', results: join(dir, 'no', 'r.csv') }, env, /does not exist/],
    ['two-char delimiter', { file: input, inboxId: '1', delimiter: ';;' }, env, /one character/],
    ['mapping missing', { file: input, inboxId: '1', mapping: join(dir, 'm.json') }, env, /--mapping file .* does not exist/],
  ];
  it.each(bad)('refuses %s with a message naming the flag', (_name, raw, e, message) => {
    expect(() => normalizeOptions(raw, e)).toThrow(UsageError);
    expect(() => normalizeOptions(raw, e)).toThrow(message);
  });
});

describe('defaultOutputPath', () => {
  it('puts outputs beside the input, replacing .csv', () => {
    expect(defaultOutputPath('/a/b/contacts.csv', 'results')).toBe('/a/b/contacts.results.csv');
    expect(defaultOutputPath('export.CSV', 'failures')).toBe('export.failures.csv');
    expect(defaultOutputPath('data', 'results')).toBe('data.results.csv');
  });
});

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
      journal: join(dir, 'contacts.journal.jsonl'),
      maxFieldBytes: 65536,
      onExisting: 'skip',
      maxConsecutiveFailures: 25,
      rawOutput: false,
      quiet: false,
      resume: false,
      force: false,
      mode: 'import',
    });
    for (const gone of ['dryRun', 'checkExisting', 'threads', 'timeout', 'maxFieldSize', 'config', 'credentialsFile', 'allowInsecureHttp']) expect(o).not.toHaveProperty(gone);
    for (const unset of ['summary', 'report', 'logFile', 'logLevel', 'delimiter', 'encoding', 'sheet', 'mapping', 'defaultCountry']) expect(o).not.toHaveProperty(unset);
  });

  it('takes inbox and base URL from the environment, flags first', () => {
    const o = normalizeOptions({ file: input }, { ...env, LIVEDESK_INBOX_ID: 'abc', LIVEDESK_BASE_URL: 'http://127.0.0.1:4010/' });
    expect(o.inboxId).toBe('abc');
    expect(o.baseUrl).toBe('http://127.0.0.1:4010');
    expect(normalizeOptions({ file: input, inboxId: '9' }, { ...env, LIVEDESK_INBOX_ID: 'abc' }).inboxId).toBe(9);
  });

  it('a dry run needs neither credentials nor an inbox', () => {
    const o = normalizeOptions({ file: input, dryRun: true }, {});
    expect(o).toMatchObject({ mode: 'dry-run', inboxId: '', apiKey: '', apiSecret: '' });
  });

  it('decides the mode once: import, dry-run, or check (--dry-run --check-existing)', () => {
    expect(normalizeOptions({ file: input, inboxId: '1' }, env).mode).toBe('import');
    expect(normalizeOptions({ file: input, dryRun: true }, env).mode).toBe('dry-run');
    expect(normalizeOptions({ file: input, dryRun: true, checkExisting: true }, env)).toMatchObject({ mode: 'check', apiKey: 'k', apiSecret: 's' });
    expect(() => normalizeOptions({ file: input, inboxId: '1', checkExisting: true }, env)).toThrow(/--check-existing goes with --dry-run/);
    expect(() => normalizeOptions({ file: input, dryRun: true, resume: true }, env)).toThrow(/a dry run has nothing to resume/);
  });

  it('accepts --threads, whatever its value, and only warns', () => {
    for (const threads of [2, 0, 17, Number.NaN, 'two']) {
      const o = normalizeOptions({ file: input, inboxId: '1', threads }, env);
      expect(o.warnings).toContain('--threads is no longer used: rows are mapped on the main thread');
      expect(o).not.toHaveProperty('threads');
    }
    expect(normalizeOptions({ file: input, inboxId: '1' }, env).warnings).toEqual([]);
  });

  it('renames and converts as declared: timeout → timeoutMs, max-field-size → maxFieldBytes, tab, country', () => {
    const o = normalizeOptions({ file: input, inboxId: 'x-1', timeout: '5000', maxFieldSize: 1024, delimiter: 'tab', defaultCountry: ' gb ', encoding: 'Latin1', logLevel: 'debug', onExisting: 'update' }, env);
    expect(o).toMatchObject({ inboxId: 'x-1', timeoutMs: 5000, maxFieldBytes: 1024, delimiter: '\t', defaultCountry: 'GB', logLevel: 'debug', onExisting: 'update' });
    expect(typeof o.encoding).toBe('string');
  });

  it('a blank LIVEDESK_BASE_URL is refused, not replaced by the production URL; a blank LIVEDESK_INBOX_ID is unset', () => {
    expect(() => normalizeOptions({ file: input, inboxId: '1' }, { ...env, LIVEDESK_BASE_URL: ' ' })).toThrow(/--base-url "" is not a URL/);
    expect(normalizeOptions({ file: input, dryRun: true }, { LIVEDESK_INBOX_ID: '' }).inboxId).toBe('');
  });

  it('credential and transport errors pass through as the UsageErrors they are', () => {
    for (const [raw, e] of [
      [{ file: input, inboxId: '1' }, {}],
      [{ file: input, inboxId: '1', baseUrl: 'http://livedesk.example.com' }, env],
    ] as const) {
      let caught: unknown;
      try {
        normalizeOptions(raw, e);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(UsageError);
      expect((caught as Error).constructor).not.toBe(UsageError);
      expect((caught as UsageError).code).toMatch(/^(credentials|transport)_error$/);
    }
  });

  const bad: Array<[string, Record<string, unknown>, NodeJS.ProcessEnv, RegExp]> = [
    ['no credentials', { file: input, inboxId: '1' }, {}, /LIVEDESK_API_KEY and LIVEDESK_API_SECRET must be set/],
    ['no secret', { file: input, inboxId: '1' }, { LIVEDESK_API_KEY: 'k' }, /^LIVEDESK_API_SECRET must be set/],
    ['no inbox', { file: input }, env, /--inbox-id is required/],
    ['missing input', { file: join(dir, 'nope.csv'), inboxId: '1' }, env, /does not exist/],
    ['concurrency 0', { file: input, inboxId: '1', concurrency: 0 }, env, /--concurrency must be a whole number from 1 to 256; got 0/],
    ['rate NaN', { file: input, inboxId: '1', rate: 'fast' }, env, /--rate must be a number/],
    ['concurrency as yargs hands over "lots"', { file: input, inboxId: '1', concurrency: Number.NaN }, env, /--concurrency must be a whole number from 1 to 256; got a value that is not a number/],
    ['concurrency twice', { file: input, inboxId: '1', concurrency: [2, 3] }, env, /--concurrency was given more than once/],
    ['max-field-size 10', { file: input, inboxId: '1', maxFieldSize: 10 }, env, /--max-field-size must be a whole number from 256 to 16777216; got 10/],
    ['on-existing', { file: input, inboxId: '1', onExisting: 'merge' }, env, /^--on-existing must be skip, update or fail; got "merge"$/],
    ['log-level', { file: input, inboxId: '1', logLevel: 'loud' }, env, /^--log-level must be one of trace, debug, info, warn, error, fatal, silent; got "loud"$/],
    ['encoding', { file: input, inboxId: '1', encoding: 'ebcdic' }, env, /^--encoding must be one of .*; got "ebcdic"$/],
    ['country', { file: input, inboxId: '1', defaultCountry: 'England' }, env, /^--default-country must be a two-letter ISO 3166 country code/],
    ['empty delimiter', { file: input, inboxId: '1', delimiter: '' }, env, /^--delimiter needs a value \(one character, or "tab"\)$/],
    ['quote delimiter', { file: input, inboxId: '1', delimiter: '"' }, env, /^--delimiter cannot be a quote or a line break$/],
    ['empty results', { file: input, inboxId: '1', results: ' ' }, env, /^--results needs a value$/],
    ['sheet on a CSV', { file: input, inboxId: '1', sheet: 'Contacts' }, env, /--sheet applies to .xlsx workbooks/],
    ['url with a query', { file: input, inboxId: '1', baseUrl: 'https://x.example/?a=1' }, env, /--base-url must not have a query or fragment/],
    ['resume and force', { file: input, inboxId: '1', resume: true, force: true }, env, /choose one/],
    ['no file', { inboxId: '1' }, env, /name the CSV file to import/],
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

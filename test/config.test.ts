import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { fillPlaceholders, loadJobFile, mergeArgs } from '../src/options/job-file.js';

const dir = mkdtempSync(join(tmpdir(), 'ldi-config-'));
const job = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const now = new Date(2026, 10, 25, 2, 30);

describe('job files', () => {
  it('reads JSON, resolves paths against the job file and fills {date}', () => {
    const p = job('nightly.json', JSON.stringify({ input: 'in/contacts-{date}.csv', inboxId: 407, rate: 20, results: '/var/out/{date}.results.csv', onExisting: 'update' }));
    expect(loadJobFile(p, now)).toEqual({ file: join(dir, 'in/contacts-2026-11-25.csv'), inboxId: '407', rate: 20, results: '/var/out/2026-11-25.results.csv', onExisting: 'update' });
  });

  it('reads YAML', () => {
    const p = job('nightly.yaml', 'input: contacts.csv\ninboxId: "abc"\ndryRun: true\nsummary: "runs/{datetime}.json"\n');
    expect(loadJobFile(p, now)).toMatchObject({ file: join(dir, 'contacts.csv'), inboxId: 'abc', dryRun: true, summary: join(dir, 'runs/2026-11-25T0230.json') });
  });

  it('refuses secrets, naming the key and the way to give them', () => {
    for (const key of ['apiSecret', 'LIVEDESK_API_KEY', 'password', 'token']) {
      const p = job(`s-${key}.json`, JSON.stringify({ input: 'x.csv', [key]: 'hunter2' }));
      expect(() => loadJobFile(p, now)).toThrow(UsageError);
      expect(() => loadJobFile(p, now)).toThrow(/secrets are never read from a job file/);
      try {
        loadJobFile(p, now);
      } catch (e) {
        expect((e as Error).message).not.toContain('hunter2');
      }
    }
  });

  it('explains unknown keys, wrong types and syntax errors', () => {
    expect(() => loadJobFile(job('u.json', '{"inputt": "x.csv"}'), now)).toThrow(/inputt/);
    expect(() => loadJobFile(job('t.json', '{"rate": "fast"}'), now)).toThrow(/rate/);
    expect(() => loadJobFile(job('b.json', '{"rate": 1,}'), now)).toThrow(/not valid JSON/);
    expect(() => loadJobFile(join(dir, 'missing.json'), now)).toThrow(/no such file/);
  });

  it('a job file that does not parse: the line and column, never the line itself (it may hold a secret)', () => {
    const secret = 'sk_live_9f8Qw2Zr7Lm3';
    const message = (name: string, text: string): string => {
      try {
        loadJobFile(job(name, text), now);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
      }
      throw new Error(`${name} parsed`);
    };
    const cases: Array<[string, string, RegExp]> = [
      // A value with a ": " in it, unquoted: YAML reads a nested mapping.
      ['colon.yaml', `input: a.csv\ninboxId: 407\nnote: apiSecret: ${secret}\n`, /not valid YAML at line 3, column \d+: a nested mapping/],
      ['quote.yaml', `input: a.csv\nsummary: "${secret}\n`, /not valid YAML at line \d+, column \d+: a missing character/],
      ['indent.yaml', `input: a.csv\n  rate: ${secret}\n`, /not valid YAML at line 1, column 8/],
      ['dup.yaml', `input: a.csv\ninput: ${secret}\n`, /not valid YAML at line 2, column 1: a key given twice/],
      ['escape.yaml', `input: "a\\q${secret}"\n`, /not valid YAML at line 1, column \d+: a bad escape/],
      ['alias.yaml', `input: *${secret}\n`, /not valid YAML: an alias/],
      ['tag.yaml', `input: !${secret} a.csv\nrate: [\n`, /not valid YAML at line \d+/],
      // V8 quotes the text around the error in its own message; ours gives the place.
      ['bare.json', `{\n  "input": "a.csv",\n  "summary": ${secret}\n}`, /not valid JSON at line 3, column 14: unexpected character/],
      ['comma.json', `{"input": "a.csv",\n "rate": 1,\n "x": "${secret}",}`, /not valid JSON at line 3, column \d+/],
      ['open.json', `{"input": "${secret}`, /not valid JSON at line 1, column \d+: the text ends too early/],
      ['ctrl.json', `{"input": "${secret}\u0001"}`, /not valid JSON at line 1, column 32: unexpected character/],
    ];
    for (const [name, text, expected] of cases) {
      const m = message(name, text);
      expect(m, name).toMatch(expected);
      expect(m, name).not.toContain(secret);
      expect(m, name).not.toContain(secret.slice(0, 8));
    }
    // A token alone on a line reads as a key in YAML: not repeated as an "unrecognized key" either.
    const lone = message('lone.yaml', `input: a.csv\n${secret}:\n`);
    expect(lone).toMatch(/Unrecognized key: \(a key that is not an option name, not shown\)/);
    expect(lone).not.toContain(secret);
    // The parser's warnings (an unknown tag) are not printed to stderr either.
    const warnings: unknown[] = [];
    const onWarning = (w: unknown): number => warnings.push(w);
    process.on('warning', onWarning);
    try {
      expect(loadJobFile(job('warn.yaml', `input: !${secret} a.csv\n`), now)).toMatchObject({ file: join(dir, 'a.csv') });
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });

  it('takes every option whose declaration allows it, with its type, choices and limits', () => {
    const p = job('all.yaml', 'input: a.csv\nthreads: 2\ncheckExisting: true\ndelimiter: "tab"\nmaxFieldSize: 1024\nlogLevel: debug\ncredentialsFile: creds.env\n');
    expect(loadJobFile(p, now)).toEqual({ file: join(dir, 'a.csv'), threads: 2, checkExisting: true, delimiter: 'tab', maxFieldSize: 1024, logLevel: 'debug', credentialsFile: join(dir, 'creds.env') });
    expect(() => loadJobFile(job('r.json', '{"resume": true}'), now)).toThrow(/resume/);
    expect(() => loadJobFile(job('c.json', '{"config": "other.yaml"}'), now)).toThrow(/config/);
    expect(() => loadJobFile(job('f.json', '{"file": "x.csv"}'), now)).toThrow(/file/);
    expect(() => loadJobFile(job('o.json', '{"onExisting": "merge"}'), now)).toThrow(/onExisting/);
    expect(() => loadJobFile(job('n.json', '{"concurrency": 0}'), now)).toThrow(/concurrency/);
    expect(() => loadJobFile(job('i.json', '{"retries": 1.5}'), now)).toThrow(/retries/);
    expect(() => loadJobFile(job('e.json', '{"summary": ""}'), now)).toThrow(/summary/);
    expect(() => loadJobFile(job('k.json', '{"dry-run": true}'), now)).toThrow(/dry-run/);
  });

  it('flags given on the command line win', () => {
    expect(mergeArgs({ rate: 20, inboxId: '1' }, { rate: 5, inboxId: undefined })).toEqual({ rate: 5, inboxId: '1' });
  });

  it('fillPlaceholders', () => {
    expect(fillPlaceholders('a-{date}-{time}', now)).toBe('a-2026-11-25-0230');
  });
});

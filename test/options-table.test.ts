// The option table is the one declaration of every option: these tests hold what is derived from
// it (yargs, the job-file schema, Options, the docs' flags table) to it.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { CountryCode } from '../src/map/index.js';
import { normalizeOptions, type LogLevel, type OnExisting, type Options, type RunMode } from '../src/options.js';
import { markdownTable, yargsOptions, yargsPositional } from '../src/options/help.js';
import { JOB_KEYS, SECRET_KEY } from '../src/options/job-file.js';
import { kebab } from '../src/options/spec.js';
import { OPTION_LIST } from '../src/options/table.js';

const flags = OPTION_LIST.filter(([, s]) => !s.positional).map(([k]) => kebab(k));

describe('the option table', () => {
  it('declares each option once, with help text, and numbers with their limits', () => {
    expect(new Set(flags).size).toBe(flags.length);
    expect(OPTION_LIST.filter(([, s]) => s.positional).map(([k]) => k)).toEqual(['file']);
    for (const [key, spec] of OPTION_LIST) {
      expect(spec.help, key).toMatch(/\S/);
      expect(key, key).toMatch(/^[a-z][A-Za-z]*$/);
      if (spec.type === 'number' && !spec.deprecated) {
        expect([spec.min, spec.max, spec.default].every((n) => typeof n === 'number'), key).toBe(true);
        expect(spec.default! >= spec.min! && spec.default! <= spec.max!, key).toBe(true);
      }
      if (spec.type === 'string' && spec.choices && spec.default !== undefined) expect(spec.choices, key).toContain(spec.default);
    }
  });

  it('gives yargs every flag, with its type and choices, and never a default (a default would beat the job file)', () => {
    const y = yargsOptions();
    expect(Object.keys(y)).toEqual(flags);
    for (const [key, spec] of OPTION_LIST.filter(([, s]) => !s.positional)) {
      const o = y[kebab(key)]!;
      expect(o.type, key).toBe(spec.type);
      expect(o, key).not.toHaveProperty('default');
      expect(o.describe, key).toContain(spec.help);
      if (spec.env) expect(o.describe, key).toContain(`[env ${spec.env}]`);
      if (spec.type === 'string' && spec.choices) expect(o.choices, key).toEqual([...spec.choices]);
    }
    expect(y['concurrency']!.describe).toBe('requests in flight at once (1–256, default 8)');
    expect(y['threads']!.describe).toMatch(/^deprecated, ignored/);
    expect(yargsPositional().describe).toMatch(/"input" in --config/);
    expect(Object.keys(yargsOptions(['delimiter', 'sheet']))).toEqual(['sheet', 'delimiter']);
  });

  it('lets a job file hold every option but the file (as `input`), --resume and --config; no key looks like a secret', () => {
    const expected = OPTION_LIST.filter(([k]) => !['file', 'resume', 'config'].includes(k)).map(([k]) => k);
    expect([...JOB_KEYS].sort()).toEqual(['input', ...expected].sort());
    for (const k of JOB_KEYS) expect(SECRET_KEY.test(k), k).toBe(false);
  });

  it('makes Options of exactly these fields', () => {
    // A compile-time list: adding or removing a field of Options fails the typecheck here.
    const fields: Record<keyof Options, true> = {
      file: true, inboxId: true, baseUrl: true, apiKey: true, apiSecret: true, warnings: true, mode: true, rawOutput: true,
      encoding: true, sheet: true, maxFieldBytes: true, quiet: true, report: true, defaultCountry: true, mapping: true,
      concurrency: true, rate: true, retries: true, timeoutMs: true, results: true, failures: true, summary: true,
      delimiter: true, logLevel: true, logFile: true, resume: true, force: true, journal: true, onExisting: true, phoneTaken: true, invalidPhone: true, state: true, noState: true, full: true,
      maxConsecutiveFailures: true,
    };
    const dir = mkdtempSync(join(tmpdir(), 'ldi-table-'));
    const input = join(dir, 'c.csv');
    writeFileSync(input, 'name\nA\n');
    writeFileSync(join(dir, 'm.json'), '{}');
    const o = normalizeOptions(
      { file: input, inboxId: '7', summary: join(dir, 's.json'), report: join(dir, 'r.html'), logFile: join(dir, 'l.log'), logLevel: 'info', delimiter: ';', encoding: 'utf-8', defaultCountry: 'DE', mapping: join(dir, 'm.json'), threads: 1 },
      { LIVEDESK_API_KEY: 'k', LIVEDESK_API_SECRET: 's' },
    );
    expect(Object.keys(o).sort()).toEqual(Object.keys(fields).filter((f) => f !== 'sheet').sort());
  });

  it('types the fields as declared (checked by the typecheck)', () => {
    expectTypeOf<Options['mode']>().toEqualTypeOf<RunMode>();
    expectTypeOf<Options['onExisting']>().toEqualTypeOf<OnExisting>();
    expectTypeOf<Options['logLevel']>().toEqualTypeOf<LogLevel | undefined>();
    expectTypeOf<Options['defaultCountry']>().toEqualTypeOf<CountryCode | undefined>();
    expectTypeOf<Options['inboxId']>().toEqualTypeOf<number | string>();
    expectTypeOf<Options['timeoutMs']>().toEqualTypeOf<number>();
    expectTypeOf<Options['results']>().toEqualTypeOf<string>();
    expectTypeOf<Options['summary']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Options['quiet']>().toEqualTypeOf<boolean>();
    expectTypeOf<Options['encoding']>().toEqualTypeOf<string | undefined>();
  });
});

describe('the docs', () => {
  // The flags table ("| flag | default | meaning |") lives in the README or in docs/*.md.
  const root = fileURLToPath(new URL('..', import.meta.url));
  const docs = ['README.md', ...(existsSync(join(root, 'docs')) ? readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f)) : [])];
  const rows = new Map<string, string>();
  for (const doc of docs) {
    const text = readFileSync(join(root, doc), 'utf8');
    const start = text.indexOf('| flag | default | meaning |');
    if (start < 0) continue;
    const table = text.slice(start).split(/\n(?!\|)/)[0]!;
    for (const m of table.matchAll(/^\| `--([a-z-]+)[^`]*` \| ((?:[^|\\]|\\.)*) \|/gm)) rows.set(m[1]!, m[2]!.trim());
  }
  // docs/options.md's table is the output of `node scripts/options-table.mjs`: paste it again
  // when an option is added.
  it('the docs table is exactly markdownTable()', () => {
    expect(readFileSync(join(root, 'docs/options.md'), 'utf8')).toContain(markdownTable());
  });

  it('the flags table lists every flag and no other, with the same numeric defaults', () => {
    expect(rows.size, 'no "| flag | default | meaning |" table in README.md or docs/*.md').toBeGreaterThan(0);
    for (const f of flags) expect(rows.has(f), `the docs lack --${f}`).toBe(true);
    for (const f of rows.keys()) expect(flags, `the docs list --${f}, which is not an option`).toContain(f);
    for (const [key, spec] of OPTION_LIST) {
      if (spec.type === 'number' && spec.default !== undefined && rows.has(kebab(key))) expect(rows.get(kebab(key)), key).toBe(String(spec.default));
    }
  });

  it('markdownTable() renders one row per option, ready to paste into the README', () => {
    const table = markdownTable();
    expect(table.split('\n')).toHaveLength(OPTION_LIST.length + 2);
    for (const f of flags) expect(table).toContain(`| \`--${f}`);
    expect(table).toContain('| `--concurrency N` | 8 | requests in flight at once; also the size of the keep-alive connection pool (1–256) |');
    expect(table).toContain('| `--base-url URL` | env `LIVEDESK_BASE_URL`, else `https://livedesk-api.engagelab.com` |');
    expect(table).toContain('| `--results FILE` | `<input>.results.csv` |');
    expect(table).toContain('| `--dry-run` | off |');
    expect(table).toContain('| `--threads N` | ignored | deprecated and ignored');
    expect(table).toContain('| `<file>` | | the CSV file');
    expect(table).toContain('| `--delimiter C` | detected among , ; tab \\| |');
  });
});

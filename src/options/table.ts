// Every option of the import command, declared once: its name (the key, camelCase as in job files;
// the flag is its kebab-case), type, default, limits and check, help text, environment variable,
// and whether a job file may set it. yargs' configuration (help.ts), the job-file schema
// (job-file.ts), the Options type and its values (normalize.ts), --help and the README's table are
// all derived from this table. The order here is the order --help lists them in.
import { basename, dirname, extname, join } from 'node:path';
import { UsageError } from '../errors.js';
import { INVALID_PHONE_MODES, toCountryCode } from '../map/index.js';
import { ACCEPTED_ENCODINGS_TEXT, normalizeEncodingName } from '../source/encoding.js';
import { DEFAULT_MAX_FIELD_BYTES } from '../source/limits.js';
import type { AlwaysSet, OptionSpec, ValueOf } from './spec.js';

export const DEFAULT_BASE_URL = 'https://livedesk-api.engagelab.com';

export const ON_EXISTING = ['skip', 'update', 'fail'] as const;
export const PHONE_TAKEN = ['fail', 'omit'] as const;
export type OnExisting = (typeof ON_EXISTING)[number];

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * `contacts.csv` → `contacts.results.csv` / `contacts.failures.csv` beside the input; a dry run's
 * are `contacts.dry-run.results.csv` / `contacts.dry-run.failures.csv`, so a rehearsal never
 * touches a live run's files.
 */
export function defaultOutputPath(input: string, kind: 'results' | 'failures', dryRun = false): string {
  const ext = extname(input);
  const stem = ['.csv', '.txt', '.tsv', '.xlsx'].includes(ext.toLowerCase()) ? basename(input, ext) : basename(input);
  return join(dirname(input), `${stem}.${dryRun ? 'dry-run.' : ''}${kind}.csv`);
}

/**
 * A dry run of a job whose file names its live outputs writes beside them, never on them:
 * `out/2026-12-01.failures.csv` → `out/2026-12-01.failures.dry-run.csv`.
 */
export function dryRunName(path: string): string {
  const ext = extname(path);
  return join(dirname(path), `${basename(path, ext)}.dry-run${ext}`);
}

/** A dry run's own output (its default names, or dryRunName's): the next dry run replaces it. */
export function isDryRunName(path: string): boolean {
  return /\.dry-run\./.test(basename(path));
}

/**
 * A run's journal lives with its results file, whatever the input: `x.results.csv` →
 * `x.journal.jsonl`, `night-2026-12-01.csv` → `night-2026-12-01.journal.jsonl`. So a run is
 * known by its outputs: new dated outputs make a new run, the same outputs the same run.
 */
export function journalFor(results: string): string {
  const name = basename(results);
  const stem = name.toLowerCase().endsWith('.results.csv')
    ? name.slice(0, -'.results.csv'.length)
    : extname(name) === ''
      ? name
      : name.slice(0, -extname(name).length);
  return join(dirname(results), `${stem}.journal.jsonl`);
}

function parseBaseUrl(text: string, flag: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${flag} ${JSON.stringify(text)} is not a URL; expected e.g. ${DEFAULT_BASE_URL}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`${flag} must start with https:// (or http:// for a local stand-in); got ${text}`);
  if (url.username || url.password) throw new UsageError(`${flag} must not carry credentials; set LIVEDESK_API_KEY and LIVEDESK_API_SECRET instead`);
  if (url.search || url.hash) throw new UsageError(`${flag} must not have a query or fragment; got ${url.origin}${url.pathname}…`);
  return url.href.replace(/\/+$/, '');
}

export const OPTIONS = {
  file: {
    type: 'string',
    positional: true,
    jobKey: 'input',
    job: 'path',
    help: 'CSV file or .xlsx workbook with a header row; - reads CSV from standard input (or "input" in --config)',
    doc: 'the CSV file or .xlsx workbook, with a header row; `-` reads CSV from standard input (then `--failures`, and `--results` unless `--dry-run`, are required) (or `input` in `--config`)',
  },
  inboxId: {
    type: 'string',
    arg: 'ID',
    env: 'LIVEDESK_INBOX_ID',
    job: true,
    jobNumber: true,
    help: 'LiveDesk inbox (channel) ID',
    doc: 'LiveDesk inbox (channel) ID; required unless `--dry-run`. All digits → sent as a number, as the API example does',
    /** A number when it is all digits, as the API example sends it. */
    parse: (text: string, flag: string): number | string => {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(text)) throw new UsageError(`${flag} must be the channel's ID (letters, digits, - or _); got ${JSON.stringify(text)}`);
      return /^\d{1,15}$/.test(text) ? Number(text) : text;
    },
  },
  baseUrl: {
    type: 'string',
    arg: 'URL',
    env: 'LIVEDESK_BASE_URL',
    default: DEFAULT_BASE_URL,
    job: true,
    help: 'LiveDesk API base URL',
    doc: "the API's base URL (a path prefix is kept)",
    parse: parseBaseUrl,
  },
  mapping: {
    type: 'string',
    arg: 'FILE',
    job: 'path',
    defaultText: 'detected from the header',
    help: 'JSON file: LiveDesk field → column name (or list of columns tried in order)',
    doc: 'JSON mapping file, see [Mapping](mapping.md#mapping)',
  },
  concurrency: {
    type: 'number', arg: 'N', default: 8, min: 1, max: 256, integer: true, job: true,
    help: 'requests in flight at once',
    doc: 'requests in flight at once; also the size of the keep-alive connection pool',
  },
  rate: {
    type: 'number', arg: 'N', default: 10, min: 0.1, max: 10_000, job: true,
    help: 'most requests per second, retries included',
    doc: 'most requests per second, **retries and look-ups included**',
  },
  retries: {
    type: 'number', arg: 'N', default: 5, min: 0, max: 50, integer: true, job: true,
    help: 'retries per row on 429, 5xx, timeouts, network errors',
    doc: 'retries per row on 429, 5xx, timeouts and connection errors',
  },
  timeout: {
    type: 'number', arg: 'MS', default: 30_000, min: 100, max: 600_000, integer: true, job: true, field: 'timeoutMs',
    help: 'per-request timeout in ms',
    doc: 'per request, until the whole answer is read',
  },
  results: {
    type: 'string', arg: 'FILE', job: 'path',
    default: (file: string) => defaultOutputPath(file, 'results'),
    defaultText: '<input>.results.csv beside the input',
    help: 'results CSV',
    doc: 'results file, beside the input (`contacts.csv` → `contacts.results.csv`; a dry run: `contacts.dry-run.results.csv`)',
  },
  failures: {
    type: 'string', arg: 'FILE', job: 'path',
    default: (file: string) => defaultOutputPath(file, 'failures'),
    defaultText: '<input>.failures.csv beside the input',
    help: 'failures CSV',
    doc: 'failures file, beside the input (a dry run: `contacts.dry-run.failures.csv`)',
  },
  summary: { type: 'string', arg: 'FILE', job: 'path', help: 'also write the summary as JSON to this file' },
  report: {
    type: 'string', arg: 'FILE', job: 'path',
    help: 'write a self-contained HTML report (counts, chart, mapping, first 200 problem rows) to this file',
  },
  dryRun: {
    type: 'boolean', job: true, field: false,
    help: 'read, map and validate every row; send nothing (no credentials needed)',
  },
  sheet: { type: 'string', arg: 'NAME', job: true, defaultText: 'the first sheet', help: 'for an .xlsx workbook: the sheet to read', doc: '.xlsx only: the sheet to read' },
  encoding: {
    type: 'string', arg: 'E', job: true, defaultText: 'detected',
    help: `CSV encoding: ${ACCEPTED_ENCODINGS_TEXT}`,
    doc: `CSV only: ${ACCEPTED_ENCODINGS_TEXT}`,
    parse: (text: string, flag: string): string => {
      const name = normalizeEncodingName(text);
      if (name === undefined) throw new UsageError(`${flag} must be one of ${ACCEPTED_ENCODINGS_TEXT}; got ${JSON.stringify(text)}`);
      return name;
    },
  },
  maxFieldSize: {
    type: 'number', arg: 'N', default: DEFAULT_MAX_FIELD_BYTES, min: 256, max: 16 * 1024 * 1024, integer: true, job: true, field: 'maxFieldBytes',
    help: 'a field larger than this many bytes makes its row malformed',
    doc: 'a field larger than N bytes makes its row `malformed_row`',
  },
  defaultCountry: {
    type: 'string', arg: 'XX', job: true,
    help: 'read phone numbers without + or 00 as national numbers of this country (ISO code: US, GB, DE…)',
    doc: 'read phone numbers without `+`/`00` as national numbers of this country (ISO 3166 alpha-2: US, GB, DE…)',
    parse: (text: string, flag: string) => {
      const code = toCountryCode(text);
      if (code === undefined) throw new UsageError(`${flag} must be a two-letter ISO 3166 country code such as US, GB, DE or FR; got ${JSON.stringify(text)}`);
      return code;
    },
  },
  delimiter: {
    type: 'string', arg: 'C', job: true, keepSpaces: true, valueHint: 'one character, or "tab"',
    defaultText: 'detected among , ; tab |',
    help: 'field delimiter',
    doc: '`,` `;` `tab` or `\\|` are detected from the header line; any one character may be given',
    parse: (text: string, flag: string): string => {
      const delimiter = text === '\\t' || text.toLowerCase() === 'tab' ? '\t' : text;
      if (delimiter.length !== 1) throw new UsageError(`${flag} must be one character (or "tab"); got ${JSON.stringify(text)}`);
      if (/["\r\n]/.test(delimiter)) throw new UsageError(`${flag} cannot be a quote or a line break`);
      return delimiter;
    },
  },
  logLevel: {
    type: 'string', arg: 'L', choices: LOG_LEVELS, job: true,
    defaultText: 'warn on stderr, info in --log-file',
    help: 'log detail',
    doc: 'trace, debug, info, warn, error, fatal, silent',
  },
  logFile: {
    type: 'string', arg: 'FILE', job: 'path',
    help: 'write pino JSON-lines logs to this file',
    doc: 'pino JSON lines (one line per failed row at `info`; retries at `debug`)',
  },
  resume: {
    type: 'boolean', job: false,
    help: 'finish a run that was stopped: send the rows its journal has no outcome for (and again those an outage failed), append to its output files',
    doc:
      'finish a run that was stopped: send the rows its journal has no outcome for, and again the rows that failed for a reason a retry can fix (network, timeout, 5xx, 429); ' +
      'the output files are checked against the journal and appended to. With `{date}` paths in a job file, the stopped run is found by its journal',
  },
  force: {
    type: 'boolean', job: true,
    help: 'start a new run although an unfinished one used these output files (its files are kept under dated names)',
    doc:
      'start a new run although an unfinished run used these output files, or files no journal vouches for are in the way: they are kept under dated names, never deleted ' +
      "(a finished run's files are kept that way without it; a dry run replaces its own outputs without it)",
  },
  journal: {
    type: 'string', arg: 'FILE', job: 'path',
    defaultText: 'beside the results file',
    help: 'journal of a live run, for --resume (default: beside the results file, x.results.csv → x.journal.jsonl)',
    doc: 'the journal of a live run, read by `--resume` (`contacts.results.csv` → `contacts.journal.jsonl`)',
  },
  onExisting: {
    type: 'string', arg: 'M', choices: ON_EXISTING, default: 'skip', job: true,
    help: 'a contact LiveDesk already has: record its ID (skip), update it with the row, or fail the row',
    doc:
      'a contact LiveDesk already has (email, phone or identifier taken): `skip` records it as `existing` with its ID, ' +
      "`update` sends the row's fields to the update endpoint (`updated`), `fail` puts the row in the failures file as `already_exists`",
  },
  phoneTaken: {
    type: 'string', arg: 'M', choices: PHONE_TAKEN, default: 'fail', job: true,
    help: "a row whose phone number another LiveDesk contact holds: fail it (phone_taken), or omit the phone and create it",
    doc:
      'a new row whose phone number a *different* LiveDesk contact already holds (its email or identifier disagree): ' +
      "`fail` puts the row in the failures file as `phone_taken` with the holder's ID; `omit` creates the contact without the phone " +
      '(outcome `created`, a note in the results file)',
  },
  invalidPhone: {
    type: 'string', arg: 'M', choices: INVALID_PHONE_MODES, default: 'fail', job: true,
    help: 'a row whose only problem is its phone number: fail it (invalid_phone), or create it without the phone',
    doc:
      'a row whose only problem is its phone number (the rest is valid, and it has an email or identifier: a name alone would be created again by every rerun): ' +
      '`fail` puts it in the failures file as `invalid_phone`; `omit` creates the contact without the phone, and the results file\'s note says why. ' +
      'A dry run says how many rows `omit` would save',
  },
  checkExisting: {
    type: 'boolean', job: true, field: false,
    help: 'with --dry-run: look each valid row up in LiveDesk (read-only) and report which already exist',
    doc:
      'with `--dry-run`: look each valid row up in LiveDesk, read-only and rate-limited, and report which would be created ' +
      'and which already exist (with IDs, in the results file); needs credentials',
  },
  credentialsFile: {
    type: 'string', arg: 'FILE', job: 'path', field: false,
    help: 'read LIVEDESK_API_KEY / LIVEDESK_API_SECRET from this 0600 file (dotenv or JSON) instead of the environment',
    doc: 'read `LIVEDESK_API_KEY` / `LIVEDESK_API_SECRET` from this file (dotenv or JSON); refused unless it is private (mode 0600); wins over the environment',
  },
  allowInsecureHttp: {
    type: 'boolean', job: true, field: false,
    help: 'allow an http:// --base-url that is not on this machine (https is required otherwise)',
    doc: 'allow an `http://` base URL on a host that is not this machine (never needed for LiveDesk itself)',
  },
  rawOutput: {
    type: 'boolean', job: true,
    help: 'write cells exactly as they are, without neutralizing spreadsheet formulas (=, +, -, @ …)',
  },
  maxConsecutiveFailures: {
    type: 'number', arg: 'N', default: 25, min: 0, max: 1_000_000, integer: true, job: true,
    help: 'stop (exit 3) after this many rows in a row fail with network or server errors; 0 = never',
    doc: 'stop (exit 3) after N rows in a row fail with network, timeout, 429 or 5xx errors, instead of failing the rest of the file; 0 = never',
  },
  threads: {
    type: 'number', arg: 'N', integer: true, job: true, field: false,
    deprecated: '--threads is no longer used: rows are mapped on the main thread',
    help: 'deprecated, ignored: rows are mapped on the main thread',
    doc: 'deprecated and ignored: map worker threads were removed in the rebuild (they were slower at 10k and 100k rows and cost ~55 MB)',
  },
  state: {
    type: 'string', arg: 'FILE', job: 'path',
    defaultText: '$XDG_STATE_HOME/livedesk-import/',
    help: 'the state store of what LiveDesk holds from this tool, per base URL, account and inbox (default: $XDG_STATE_HOME/livedesk-import/, ~/.local/state/… when unset)',
    doc: 'the state store: each contact this tool created, found or updated, with its keys, LiveDesk ID and a fingerprint of the fields last sent, so a rerun sends only what changed (see [Nightly sync](nightly-sync.md)); a folder (one file per base URL, account and inbox) or one file',
  },
  noState: {
    type: 'boolean', job: true,
    help: 'neither read nor write the state store: every row is decided against LiveDesk, and nothing is remembered',
  },
  full: {
    type: 'boolean', job: true,
    help: 'decide every row against LiveDesk as if the state store knew nothing, and refresh it with the answers',
  },
  quiet: { type: 'boolean', job: true, help: 'no progress bar or progress lines (warnings and the summary still print)' },
  config: {
    type: 'string', arg: 'FILE', job: false, field: false,
    help: 'job file (JSON or YAML) holding any of these options; flags given here win over it',
  },
} as const satisfies Record<string, OptionSpec>;

export type OptionKey = keyof typeof OPTIONS;
type Table = typeof OPTIONS;

/** The declarations as a list, each with its key. */
export const OPTION_LIST = Object.entries(OPTIONS) as Array<[OptionKey, OptionSpec]>;

/** What flags and job files hand over, before any check: one key per option (camelCase). */
export type RawArgs = { [K in OptionKey]?: unknown };

/** Every option's checked value, by option key; optional where there is no default. */
export type OptionValues = { [K in OptionKey as AlwaysSet<Table[K]> extends true ? K : never]: ValueOf<Table[K]> } & {
  [K in OptionKey as AlwaysSet<Table[K]> extends true ? never : K]?: ValueOf<Table[K]>;
};

type FieldName<K extends OptionKey> = Table[K] extends { field: infer F extends string } ? F : K;
type Carried<K extends OptionKey> = Table[K] extends { field: false } ? false : Table[K] extends { deprecated: string } ? false : true;

/**
 * The fields of Options that come straight from one option each (renamed where the table says
 * `field`); options with `field: false` or `deprecated` are read by normalizeOptions only.
 */
export type OptionFields = {
  [K in OptionKey as Carried<K> extends true ? (AlwaysSet<Table[K]> extends true ? FieldName<K> : never) : never]: ValueOf<Table[K]>;
} & {
  [K in OptionKey as Carried<K> extends true ? (AlwaysSet<Table[K]> extends true ? never : FieldName<K>) : never]?: ValueOf<Table[K]>;
};

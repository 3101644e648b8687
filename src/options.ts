// Flags + environment → one validated, typed Options object. Everything is checked here, before
// anything is read or sent; a bad value stops the run with exit 2 and names the flag.
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { CredentialsError, loadCredentials } from './security/credentials.js';
import { checkBaseUrlTransport, insecureTlsEnvNote, TransportError } from './security/transport.js';
import { toCountryCode, type CountryCode } from './map/index.js';
import { ACCEPTED_ENCODINGS_TEXT, DEFAULT_MAX_FIELD_BYTES, normalizeEncodingName } from './source/csv-source.js';
import { isWorkbookPath } from './source/open.js';

export const DEFAULT_BASE_URL = 'https://livedesk-api.engagelab.com';

export interface Options {
  /** Input CSV path. */
  file: string;
  /** LiveDesk inbox (channel) ID; a number when it is all digits, as the API example sends. */
  inboxId: number | string;
  baseUrl: string;
  /** From LIVEDESK_API_KEY / LIVEDESK_API_SECRET or --credentials-file; empty when not sending. */
  apiKey: string;
  apiSecret: string;
  /** Things to tell the person before the run (never a secret). */
  warnings: string[];
  /** Write cells as they are, without neutralizing spreadsheet formulas. */
  rawOutput: boolean;
  /** Forced input encoding (CSV only); undefined = detect. */
  encoding?: string;
  /** Workbook sheet to read (.xlsx only); undefined = the first. */
  sheet?: string;
  /** @default 65536 — a field larger than this (bytes) makes its row malformed. */
  maxFieldBytes: number;
  /** No progress display. */
  quiet: boolean;
  /** Write an HTML report (counts, chart, mapping, first problem rows) to this file. */
  report?: string;
  /** Country whose national phone numbers (no + or 00) are accepted. */
  defaultCountry?: CountryCode;
  mapping?: string;
  /** @default 8 — requests in flight at once (1..256). */
  concurrency: number;
  /** @default 10 — most requests a second, retries included (0.1..10000). */
  rate: number;
  /** @default 5 — retries after the first attempt (0..50). */
  retries: number;
  /** @default 30000 — per request, ms (100..600000). */
  timeoutMs: number;
  results: string;
  failures: string;
  summary?: string;
  dryRun: boolean;
  delimiter?: string;
  /** Unset: warnings on stderr, and `info` (one line per failed row) in --log-file. */
  logLevel?: LogLevel;
  logFile?: string;
  /** Finish the run that left this journal: send only rows without an outcome. */
  resume: boolean;
  /** Replace existing output files instead of refusing. */
  force: boolean;
  /** The journal of a live run (for --resume); default `<input>.journal.jsonl`. */
  journal: string;
  /** @default 'skip' — what to do with a row LiveDesk already has (email/phone/identifier taken). */
  onExisting: OnExisting;
  /** Dry run only: look each valid row up in LiveDesk (read-only) to tell created from existing. */
  checkExisting: boolean;
  /** @default 25 — stop (exit 3) after this many rows in a row fail with network or 5xx errors; 0 = never. */
  maxConsecutiveFailures: number;
  /** Worker threads that map and validate rows (0 = on the main thread); undefined = automatic. */
  threads?: number;
}

export const ON_EXISTING = ['skip', 'update', 'fail'] as const;
export type OnExisting = (typeof ON_EXISTING)[number];

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Bad usage or configuration: exit 2, nothing sent. */
export class UsageError extends Error {
  readonly code = 'usage_error';
}

/** The raw values yargs hands over (strings and numbers as typed, before our checks). */
export interface RawArgs {
  file?: unknown;
  inboxId?: unknown;
  baseUrl?: unknown;
  mapping?: unknown;
  concurrency?: unknown;
  rate?: unknown;
  retries?: unknown;
  timeout?: unknown;
  results?: unknown;
  failures?: unknown;
  summary?: unknown;
  dryRun?: unknown;
  delimiter?: unknown;
  logLevel?: unknown;
  logFile?: unknown;
  resume?: unknown;
  force?: unknown;
  credentialsFile?: unknown;
  allowInsecureHttp?: unknown;
  defaultCountry?: unknown;
  report?: unknown;
  encoding?: unknown;
  sheet?: unknown;
  quiet?: unknown;
  maxFieldSize?: unknown;
  rawOutput?: unknown;
  journal?: unknown;
  onExisting?: unknown;
  checkExisting?: unknown;
  maxConsecutiveFailures?: unknown;
  threads?: unknown;
}

function numberFlag(name: string, value: unknown, dflt: number, min: number, max: number, integer: boolean): number {
  if (value === undefined) return dflt;
  if (Array.isArray(value)) throw new UsageError(`--${name} was given more than once`);
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    // yargs turns a number flag's non-numeric text into NaN, which JSON.stringify would show as null.
    const got = typeof value === 'number' && Number.isNaN(value) ? 'a value that is not a number' : JSON.stringify(value);
    throw new UsageError(`--${name} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}; got ${got}`);
  }
  return n;
}

function stringFlag(name: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) throw new UsageError(`--${name} was given more than once`);
  const s = String(value).trim();
  if (s === '') throw new UsageError(`--${name} needs a value`);
  return s;
}

/** `contacts.csv` → `contacts.results.csv` (or `contacts.journal.jsonl`), beside the input. */
export function defaultOutputPath(input: string, kind: 'results' | 'failures' | 'journal'): string {
  const ext = extname(input);
  const stem = ['.csv', '.txt', '.tsv', '.xlsx'].includes(ext.toLowerCase()) ? basename(input, ext) : basename(input);
  return join(dirname(input), `${stem}.${kind}.${kind === 'journal' ? 'jsonl' : 'csv'}`);
}

function checkWritableTarget(flag: string, path: string): void {
  const dir = dirname(path);
  if (!existsSync(dir)) throw new UsageError(`--${flag} ${path}: folder ${dir} does not exist`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new UsageError(`--${flag} ${path} is a folder; give a file name`);
}

export function normalizeOptions(raw: RawArgs, env: NodeJS.ProcessEnv): Options {
  const file = stringFlag('file', raw.file);
  if (!file) throw new UsageError('name the CSV file to import, e.g. livedesk-import contacts.csv --inbox-id 407');
  if (!existsSync(file)) throw new UsageError(`input file ${file} does not exist`);
  if (statSync(file).isDirectory()) throw new UsageError(`input ${file} is a folder; name a CSV file`);

  const dryRun = raw.dryRun === true;
  const checkExisting = raw.checkExisting === true;
  if (checkExisting && !dryRun) throw new UsageError('--check-existing goes with --dry-run (a live run always handles existing contacts, see --on-existing)');
  const resume = raw.resume === true;
  const force = raw.force === true;
  if (resume && dryRun) throw new UsageError('--resume finishes a live run; a dry run has nothing to resume');
  if (resume && force) throw new UsageError('--resume keeps the output files and --force replaces them: choose one');
  const onExisting = (stringFlag('on-existing', raw.onExisting) ?? 'skip') as OnExisting;
  if (!ON_EXISTING.includes(onExisting)) throw new UsageError(`--on-existing must be skip, update or fail; got ${JSON.stringify(raw.onExisting)}`);

  const baseUrl = stringFlag('base-url', raw.baseUrl) ?? env.LIVEDESK_BASE_URL?.trim() ?? DEFAULT_BASE_URL;
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new UsageError(`--base-url ${JSON.stringify(baseUrl)} is not a URL; expected e.g. ${DEFAULT_BASE_URL}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UsageError(`--base-url must start with https:// (or http:// for a local stand-in); got ${baseUrl}`);
  }
  if (url.username || url.password) {
    throw new UsageError('--base-url must not carry credentials; set LIVEDESK_API_KEY and LIVEDESK_API_SECRET instead');
  }
  if (url.search || url.hash) throw new UsageError(`--base-url must not have a query or fragment; got ${url.origin}${url.pathname}…`);

  const inboxRaw = stringFlag('inbox-id', raw.inboxId) ?? (env.LIVEDESK_INBOX_ID?.trim() || undefined);
  if (inboxRaw === undefined && !dryRun) {
    throw new UsageError('--inbox-id is required (or set LIVEDESK_INBOX_ID): the channel ID from Project Settings - Channels - channel - Settings');
  }
  if (inboxRaw !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(inboxRaw)) {
    throw new UsageError(`--inbox-id must be the channel's ID (letters, digits, - or _); got ${JSON.stringify(inboxRaw)}`);
  }
  const inboxId = inboxRaw === undefined ? '' : /^\d{1,15}$/.test(inboxRaw) ? Number(inboxRaw) : inboxRaw;

  const sending = !dryRun || checkExisting;
  const warnings: string[] = [];
  let apiKey = '';
  let apiSecret = '';
  const credentialsFile = stringFlag('credentials-file', raw.credentialsFile);
  if (sending || credentialsFile !== undefined) {
    try {
      const creds = loadCredentials(env, credentialsFile);
      ({ apiKey, apiSecret } = creds);
      warnings.push(...creds.warnings);
    } catch (e) {
      if (e instanceof CredentialsError) throw new UsageError(e.message);
      throw e;
    }
  }
  if (sending) {
    try {
      checkBaseUrlTransport(url, raw.allowInsecureHttp === true);
    } catch (e) {
      if (e instanceof TransportError) throw new UsageError(e.message);
      throw e;
    }
    const tlsNote = insecureTlsEnvNote(env);
    if (tlsNote) warnings.push(tlsNote);
  }

  const countryRaw = stringFlag('default-country', raw.defaultCountry);
  const defaultCountry = countryRaw === undefined ? undefined : toCountryCode(countryRaw);
  if (countryRaw !== undefined && defaultCountry === undefined) {
    throw new UsageError(`--default-country must be a two-letter ISO 3166 country code such as US, GB, DE or FR; got ${JSON.stringify(countryRaw)}`);
  }
  const mapping = stringFlag('mapping', raw.mapping);
  if (mapping !== undefined && !existsSync(mapping)) throw new UsageError(`--mapping file ${mapping} does not exist`);

  const workbook = isWorkbookPath(file);
  const encodingRaw = stringFlag('encoding', raw.encoding);
  const encoding = encodingRaw === undefined ? undefined : normalizeEncodingName(encodingRaw);
  if (encodingRaw !== undefined && encoding === undefined) throw new UsageError(`--encoding must be one of ${ACCEPTED_ENCODINGS_TEXT}; got ${JSON.stringify(encodingRaw)}`);
  const sheet = stringFlag('sheet', raw.sheet);
  if (workbook && encodingRaw !== undefined) throw new UsageError('--encoding applies to CSV files; an .xlsx workbook always holds Unicode text');
  if (workbook && raw.delimiter !== undefined) throw new UsageError('--delimiter applies to CSV files, not to an .xlsx workbook');
  if (!workbook && sheet !== undefined) throw new UsageError(`--sheet applies to .xlsx workbooks; ${file} is read as CSV`);
  // Not trimmed: a literal tab or space is a delimiter people do use.
  const delimiter = raw.delimiter === undefined ? undefined : Array.isArray(raw.delimiter) ? stringFlag('delimiter', raw.delimiter) : String(raw.delimiter);
  if (delimiter === '') throw new UsageError('--delimiter needs a value (one character, or "tab")');
  const delim = delimiter === undefined ? undefined : delimiter === '\\t' || delimiter.toLowerCase() === 'tab' ? '\t' : delimiter;
  if (delim !== undefined && delim.length !== 1) throw new UsageError(`--delimiter must be one character (or "tab"); got ${JSON.stringify(delimiter)}`);
  if (delim !== undefined && /["\r\n]/.test(delim)) throw new UsageError('--delimiter cannot be a quote or a line break');

  const results = stringFlag('results', raw.results) ?? defaultOutputPath(file, 'results');
  const failures = stringFlag('failures', raw.failures) ?? defaultOutputPath(file, 'failures');
  const summary = stringFlag('summary', raw.summary);
  const logFile = stringFlag('log-file', raw.logFile);
  const journal = stringFlag('journal', raw.journal) ?? defaultOutputPath(file, 'journal');
  const report = stringFlag('report', raw.report);
  for (const [flag, p] of [['results', results], ['failures', failures], ['summary', summary], ['log-file', logFile], ['journal', journal], ['report', report]] as const) {
    if (p !== undefined) checkWritableTarget(flag, p);
  }
  const outputs = [results, failures, summary, logFile, journal, report].filter((p): p is string => p !== undefined);
  if (new Set(outputs).size !== outputs.length) throw new UsageError('--results, --failures, --journal, --summary, --report and --log-file must be different files');
  if (outputs.includes(file)) throw new UsageError(`an output file is the input file ${file}; it would be overwritten`);
  if (!resume && !force) {
    // The files a run creates: a dry run writes no journal, and results only with --check-existing.
    const created = [failures, ...(dryRun ? [] : [journal]), ...(!dryRun || checkExisting ? [results] : [])];
    const existing = created.filter((p) => existsSync(p));
    if (existing.length > 0) {
      throw new UsageError(
        `${existing.join(' and ')} already exist${existing.length === 1 ? 's' : ''}: add --resume to finish that run, --force to replace ${existing.length === 1 ? 'it' : 'them'}, or choose other paths with --results / --failures`,
      );
    }
  }

  const logLevel = stringFlag('log-level', raw.logLevel) as LogLevel | undefined;
  if (logLevel !== undefined && !LOG_LEVELS.includes(logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}; got ${JSON.stringify(raw.logLevel)}`);

  return {
    file,
    inboxId,
    baseUrl: url.href.replace(/\/+$/, ''),
    apiKey,
    apiSecret,
    warnings,
    rawOutput: raw.rawOutput === true,
    quiet: raw.quiet === true,
    ...(defaultCountry === undefined ? {} : { defaultCountry }),
    ...(report === undefined ? {} : { report }),
    ...(encoding === undefined ? {} : { encoding }),
    ...(sheet === undefined ? {} : { sheet }),
    maxFieldBytes: numberFlag('max-field-size', raw.maxFieldSize, DEFAULT_MAX_FIELD_BYTES, 256, 16 * 1024 * 1024, true),
    ...(mapping === undefined ? {} : { mapping }),
    concurrency: numberFlag('concurrency', raw.concurrency, 8, 1, 256, true),
    rate: numberFlag('rate', raw.rate, 10, 0.1, 10_000, false),
    retries: numberFlag('retries', raw.retries, 5, 0, 50, true),
    timeoutMs: numberFlag('timeout', raw.timeout, 30_000, 100, 600_000, true),
    results,
    failures,
    ...(summary === undefined ? {} : { summary }),
    dryRun,
    ...(delim === undefined ? {} : { delimiter: delim }),
    ...(logLevel === undefined ? {} : { logLevel }),
    ...(logFile === undefined ? {} : { logFile }),
    resume,
    force,
    journal,
    onExisting,
    checkExisting,
    maxConsecutiveFailures: numberFlag('max-consecutive-failures', raw.maxConsecutiveFailures, 25, 0, 1_000_000, true),
    ...(raw.threads === undefined ? {} : { threads: numberFlag('threads', raw.threads, 0, 0, 16, true) }),
  };
}

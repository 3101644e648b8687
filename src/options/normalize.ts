// Flags + job file + environment → one validated, typed Options object. Each option's own value is
// read and checked by its declaration (table.ts); what is left here is what no single option can
// decide: the mode, checks between options, credentials, and the file system. A bad value stops
// the run with exit 2 (UsageError) before anything is read or sent, and names the flag.
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../errors.js';
import { loadCredentials } from '../security/credentials.js';
import { checkBaseUrlTransport, insecureTlsEnvNote } from '../security/transport.js';
import { defaultStatePath } from '../state/scope.js';
import { isWorkbookPath } from '../source/open.js';
import { checkStreamInput, STDIN, STDIN_PATH } from '../source/file.js';
import { readOption } from './spec.js';
import { defaultOutputPath, journalFor, OPTION_LIST, OPTIONS, type OptionFields, type OptionValues, type RawArgs } from './table.js';

/** What a run does: send (`import`), only read and validate (`dry-run`), or also look rows up read-only (`check`). */
export type RunMode = 'import' | 'dry-run' | 'check';

/**
 * The options of one run. The fields that come from one option each (with their defaults, limits
 * and meaning) are declared in table.ts; see OPTIONS there.
 */
export interface Options extends Omit<OptionFields, 'file' | 'inboxId' | 'journal' | 'state'> {
  /** The state store: given, or the default folder (see src/state). */
  state: string;
  /** The live run's journal: given, or beside the results file (journalFor). */
  journal: string;
  /** Input CSV or .xlsx path. */
  file: string;
  /** LiveDesk inbox (channel) ID; a number when it is all digits, as the API example sends; '' in a dry run without one. */
  inboxId: number | string;
  /** `--dry-run` → 'dry-run', with `--check-existing` → 'check'; otherwise 'import'. */
  mode: RunMode;
  /** From LIVEDESK_API_KEY / LIVEDESK_API_SECRET or --credentials-file; empty when not sending. */
  apiKey: string;
  apiSecret: string;
  /** Things to tell the person before the run (never a secret). */
  warnings: string[];
}

function checkWritableTarget(flag: string, path: string): void {
  const dir = dirname(path);
  if (!existsSync(dir)) throw new UsageError(`--${flag} ${path}: folder ${dir} does not exist`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new UsageError(`--${flag} ${path} is a folder; give a file name`);
}

/** Every option read and checked by its declaration; deprecated ones only add their warning. */
function readAll(raw: RawArgs, env: NodeJS.ProcessEnv, file: string, warnings: string[]): OptionValues {
  const values: Record<string, unknown> = {};
  for (const [key, spec] of OPTION_LIST) {
    if (spec.deprecated !== undefined) {
      if (raw[key] !== undefined) warnings.push(spec.deprecated);
      continue;
    }
    const value = readOption(key, spec, raw[key], env, file);
    if (value !== undefined) values[key] = value;
  }
  return values as OptionValues;
}

/** The values that become Options fields as they are (renamed where the table says `field`). */
function carried(values: OptionValues): OptionFields {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of OPTION_LIST) {
    const value = (values as Record<string, unknown>)[key];
    if (spec.field !== false && spec.deprecated === undefined && value !== undefined) out[spec.field ?? key] = value;
  }
  return out as OptionFields;
}

export function normalizeOptions(raw: RawArgs, env: NodeJS.ProcessEnv): Options {
  const given = readOption('file', OPTIONS.file, raw.file, env, '') as string | undefined;
  // `-` (which the CLI passes as /dev/stdin: yargs drops a bare `-`) is standard input.
  const file = given === STDIN_PATH ? STDIN : given;
  if (!file) throw new UsageError('name the CSV file to import, e.g. livedesk-import contacts.csv --inbox-id 407');
  if (file !== STDIN && !existsSync(file)) throw new UsageError(`input file ${file} does not exist`);
  if (file !== STDIN && statSync(file).isDirectory()) throw new UsageError(`input ${file} is a folder; name a CSV file`);

  const warnings: string[] = [];
  const v = readAll(raw, env, file, warnings);

  if (v.checkExisting && !v.dryRun) throw new UsageError('--check-existing goes with --dry-run (a live run always handles existing contacts, see --on-existing)');
  const mode: RunMode = !v.dryRun ? 'import' : v.checkExisting ? 'check' : 'dry-run';
  if (v.resume && mode !== 'import') throw new UsageError('--resume finishes a live run; a dry run has nothing to resume');
  if (v.resume && v.force) throw new UsageError('--resume keeps the output files and --force replaces them: choose one');
  if (v.inboxId === undefined && mode === 'import') {
    throw new UsageError('--inbox-id is required (or set LIVEDESK_INBOX_ID): the channel ID from Project Settings - Channels - channel - Settings');
  }

  // Credentials and transport errors are UsageErrors of their own (exit 2): they pass through.
  const sending = mode !== 'dry-run';
  let apiKey = '';
  let apiSecret = '';
  if (sending || v.credentialsFile !== undefined) {
    const creds = loadCredentials(env, v.credentialsFile);
    ({ apiKey, apiSecret } = creds);
    warnings.push(...creds.warnings);
  } else if (!v.noState && env.LIVEDESK_API_KEY?.trim()) {
    // A dry run needs no credentials; with them, it reads the account's state store (never writes it).
    apiKey = env.LIVEDESK_API_KEY.trim();
  }
  if (sending) {
    checkBaseUrlTransport(new URL(v.baseUrl), v.allowInsecureHttp);
    const tlsNote = insecureTlsEnvNote(env);
    if (tlsNote) warnings.push(tlsNote);
  }

  if (v.mapping !== undefined && !existsSync(v.mapping)) throw new UsageError(`--mapping file ${v.mapping} does not exist`);
  checkStreamInput(file, { resume: v.resume, results: raw.results, failures: raw.failures, needsResults: mode !== 'dry-run' });
  const workbook = isWorkbookPath(file);
  if (workbook && v.encoding !== undefined) throw new UsageError('--encoding applies to CSV files; an .xlsx workbook always holds Unicode text');
  if (workbook && v.delimiter !== undefined) throw new UsageError('--delimiter applies to CSV files, not to an .xlsx workbook');
  if (!workbook && v.sheet !== undefined) throw new UsageError(`--sheet applies to .xlsx workbooks; ${file} is read as CSV`);

  // A dry run's outputs are derived data, with names of their own: it never writes a live run's
  // files by default, and the next dry run replaces them.
  if (mode !== 'import') {
    if (raw.results === undefined) v.results = defaultOutputPath(file, 'results', true);
    if (raw.failures === undefined) v.failures = defaultOutputPath(file, 'failures', true);
  }
  let journal = v.journal ?? journalFor(v.results);
  if (v.journal === undefined && v.resume && !existsSync(journal)) {
    // A run stopped by the version before this one kept its journal beside the input.
    const before = join(dirname(file), `${basename(defaultOutputPath(file, 'results'), '.results.csv')}.journal.jsonl`);
    if (existsSync(before)) journal = before;
  }
  v.journal = journal;
  const outputs = [
    ['results', v.results],
    ['failures', v.failures],
    ['summary', v.summary],
    ['log-file', v.logFile],
    ['journal', v.journal],
    ['report', v.report],
  ] as const;
  for (const [flag, p] of outputs) if (p !== undefined) checkWritableTarget(flag, p);
  const paths = outputs.map(([, p]) => p).filter((p): p is string => p !== undefined);
  if (new Set(paths).size !== paths.length) throw new UsageError('--results, --failures, --journal, --summary, --report and --log-file must be different files');
  // An output that is the input is refused by checkOutputs (sinks/output-paths.ts), which compares
  // what the files are, not how their paths are spelled. What a dry run finds at its output paths
  // is decided after that (run/previous-run.ts, setAsideDryRunOutputs): its own earlier output is
  // replaced, anything else kept aside under a dated name; a live run's, by plan.ts.

  const state = v.state ?? defaultStatePath(env);
  return { ...carried(v), state, journal, file, inboxId: v.inboxId ?? '', mode, apiKey, apiSecret, warnings };
}

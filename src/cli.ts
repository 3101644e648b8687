// The command line: yargs commands and flags, wired to the pipeline. No import logic lives here.
import yargs from 'yargs';
import { createLogger } from './log.js';
import { runImport } from './import.js';
import { DEFAULT_BASE_URL, LOG_LEVELS, normalizeOptions, UsageError, type RawArgs } from './options.js';
import { standinCommand } from './standin/command.js';
import { SourceError } from './source/csv-source.js';
import { openSource } from './source/open.js';
import { describeMapping, describeOrigin, detectMapping, hasAnyField, mappingReport } from './map/index.js';

export const EXIT = { ok: 0, rowsFailed: 1, usage: 2, aborted: 3 } as const;
const exitForSignal = (sig: NodeJS.Signals): number => (sig === 'SIGTERM' ? 143 : 130);

const EPILOG = `Credentials are read only from the environment (LIVEDESK_API_KEY and LIVEDESK_API_SECRET, from
Project Settings - API Management) or from --credentials-file; no flag takes a secret. LIVEDESK_INBOX_ID and LIVEDESK_BASE_URL may stand in for
--inbox-id and --base-url.

Exit codes: 0 every row imported (dry run: every row valid), 1 finished with failed rows,
2 bad usage or configuration (nothing sent), 3 stopped early (credentials refused, unknown inbox,
LiveDesk unreachable: finish with --resume),
130/143 stopped by Ctrl-C / SIGTERM (outputs complete up to that point).`;

class ArgvRejected extends Error {}

export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

export async function main(argv: string[], io: CliIO = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  let exitCode: number = EXIT.ok;
  const say = (text: string): void => void io.stderr.write(text + '\n');

  const parser = yargs(argv)
    .scriptName('livedesk-import')
    .usage('$0 <file> [options]\n\nImport contacts from a CSV file or .xlsx workbook into LiveDesk.')
    .command(
      '$0 [file]',
      'import the contacts in a CSV file or .xlsx workbook',
      (y) =>
        y
          .positional('file', { type: 'string', describe: 'CSV file or .xlsx workbook with a header row (or "input" in --config)' })
          .option('inbox-id', { type: 'string', describe: 'LiveDesk inbox (channel) ID [env LIVEDESK_INBOX_ID]' })
          .option('base-url', { type: 'string', describe: `LiveDesk API base URL [env LIVEDESK_BASE_URL] (default ${DEFAULT_BASE_URL})` })
          .option('mapping', { type: 'string', describe: 'JSON file: LiveDesk field → column name (or list of columns tried in order)' })
          .option('concurrency', { type: 'number', describe: 'requests in flight at once (default 8)' })
          .option('rate', { type: 'number', describe: 'most requests per second, retries included (default 10)' })
          .option('retries', { type: 'number', describe: 'retries per row on 429, 5xx, timeouts, network errors (default 5)' })
          .option('timeout', { type: 'number', describe: 'per-request timeout in ms (default 30000)' })
          .option('results', { type: 'string', describe: 'results CSV (default: <input>.results.csv beside the input)' })
          .option('failures', { type: 'string', describe: 'failures CSV (default: <input>.failures.csv beside the input)' })
          .option('summary', { type: 'string', describe: 'also write the summary as JSON to this file' })
          .option('report', { type: 'string', describe: 'write a self-contained HTML report (counts, chart, mapping, first 200 problem rows) to this file' })
          .option('dry-run', { type: 'boolean', describe: 'read, map and validate every row; send nothing (no credentials needed)' })
          .option('sheet', { type: 'string', describe: 'for an .xlsx workbook: the sheet to read (default: the first)' })
          .option('encoding', { type: 'string', describe: 'CSV encoding: utf-8, utf-16le, utf-16be, windows-1252, latin1 (default: detected)' })
          .option('max-field-size', { type: 'number', describe: 'a field larger than this many bytes makes its row malformed (default 65536)' })
          .option('default-country', { type: 'string', describe: 'read phone numbers without + or 00 as national numbers of this country (ISO code: US, GB, DE…)' })
          .option('delimiter', { type: 'string', describe: 'field delimiter (default: detected among , ; tab |)' })
          .option('log-level', { type: 'string', choices: LOG_LEVELS, describe: 'log detail (default: warn on stderr, info in --log-file)' })
          .option('log-file', { type: 'string', describe: 'write pino JSON-lines logs to this file' })
          .option('resume', { type: 'boolean', describe: 'finish a run that was stopped: send only the rows its journal has no outcome for, append to its output files' })
          .option('force', { type: 'boolean', describe: 'replace existing results, failures and journal files' })
          .option('journal', { type: 'string', describe: 'journal of a live run, for --resume (default: <input>.journal.jsonl beside the input)' })
          .option('on-existing', { type: 'string', choices: ['skip', 'update', 'fail'], describe: 'a contact LiveDesk already has: record its ID (skip, the default), update it with the row, or fail the row' })
          .option('check-existing', { type: 'boolean', describe: 'with --dry-run: look each valid row up in LiveDesk (read-only) and report which already exist' })
          .option('credentials-file', { type: 'string', describe: 'read LIVEDESK_API_KEY / LIVEDESK_API_SECRET from this 0600 file (dotenv or JSON) instead of the environment' })
          .option('allow-insecure-http', { type: 'boolean', describe: 'allow an http:// --base-url that is not on this machine (https is required otherwise)' })
          .option('raw-output', { type: 'boolean', describe: 'write cells exactly as they are, without neutralizing spreadsheet formulas (=, +, -, @ …)' })
          .option('max-consecutive-failures', { type: 'number', describe: 'stop (exit 3) after this many rows in a row fail with network or server errors; 0 = never (default 25)' })
          .option('threads', { type: 'number', describe: 'worker threads that map and validate rows beside the main thread: faster dry runs of large files on a machine with cores to spare, ~55 MB more memory each (default 0)' })
          .option('quiet', { type: 'boolean', describe: 'no progress bar or progress lines (warnings and the summary still print)' })
          .option('config', { type: 'string', describe: 'job file (JSON or YAML) holding any of these options; flags given here win over it' })
          .example('$0 contacts.csv --dry-run', 'check a spreadsheet: every row mapped and validated, nothing sent')
          .example('$0 crm-export.csv --inbox-id 407', 'migrate a CRM export (LIVEDESK_API_KEY and LIVEDESK_API_SECRET set in the environment)')
          .example('$0 nightly.csv --inbox-id 407 --rate 20 --summary nightly.json --log-file nightly.log', 'a nightly batch load with machine-readable outputs')
          .example('$0 contacts.failures.csv --inbox-id 407', 'retry the rows you fixed in the failures file')
          .example('$0 export.csv --mapping mapping.json --inbox-id 407', 'say which columns feed which field')
          .example('$0 --config nightly.yaml', 'a scheduled job whose options live in a file (secrets stay in the environment)')
          .example('$0 crm-export.csv --inbox-id 407 --resume', 'finish a run that was stopped (Ctrl-C, crash, exit 3)')
          .example('$0 crm-export.csv --inbox-id 407 --dry-run --check-existing', 'before a rerun: how many rows would be created, how many already exist')
          .epilog(EPILOG),
      async (args) => {
        exitCode = await importCommand(args as RawArgs, io, say, resumeCommandFor(argv));
      },
    )
    .command(
      'mapping <file>',
      'print the mapping detected for a CSV file as JSON, to edit and pass back with --mapping',
      (y) =>
        y
          .positional('file', { type: 'string', describe: 'CSV file with a header row' })
          .option('delimiter', { type: 'string', describe: 'field delimiter (default: detected)' })
          .option('sheet', { type: 'string', describe: 'for an .xlsx workbook: the sheet to read (default: the first)' })
          .example('$0 mapping export.csv > mapping.json', 'save the detected mapping, edit it, then import with --mapping mapping.json'),
      async (args) => {
        exitCode = await mappingCommand(String(args.file), args.delimiter, args.sheet, io, say);
      },
    )
    .command(standinCommand)
    .strict()
    // `--no-id-rate` is a stand-in flag, not the negation of `--id-rate`.
    .parserConfiguration({ 'boolean-negation': false })
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, (io.stderr as NodeJS.WriteStream).columns ?? 100))
    .fail((msg, err) => {
      // A YError is yargs' own refusal (a coerce function's error comes wrapped in one): usage.
      if (err && !(err instanceof UsageError) && err.name !== 'YError') throw err;
      say(`livedesk-import: ${msg ?? err?.message}\nRun livedesk-import --help for the options.`);
      // Throwing is what stops yargs from running the command anyway: an unknown flag must never
      // lead to an import that ignores it.
      throw new ArgvRejected();
    });

  try {
    await parser.parseAsync();
  } catch (e) {
    // A command's own UsageError has been said by .fail() already (yargs still rejects with it).
    if (e instanceof ArgvRejected || e instanceof UsageError) return EXIT.usage;
    throw e;
  }
  return exitCode;
}

async function mappingCommand(file: string, delimiter: string | undefined, sheet: string | undefined, io: CliIO, say: (text: string) => void): Promise<number> {
  try {
    const source = await openSource(file, {
      ...(delimiter === undefined ? {} : { delimiter: delimiter === 'tab' ? '\t' : delimiter }),
      ...(sheet === undefined ? {} : { sheet }),
    });
    source.close();
    const mapping = detectMapping(source.header);
    say(`Mapping ${describeOrigin(mapping)}:\n${describeMapping(mapping).join('\n')}`);
    io.stdout.write(mappingReport(mapping) + '\n');
    return hasAnyField(mapping) ? EXIT.ok : EXIT.usage;
  } catch (e) {
    if (e instanceof SourceError) {
      say(`livedesk-import: ${e.message}`);
      return EXIT.usage;
    }
    throw e;
  }
}

/** The same command line with --resume instead of --force, quoted for a POSIX shell. */
export function resumeCommandFor(argv: readonly string[]): string {
  const quote = (a: string): string => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  const args = argv.filter((a) => a !== '--force' && a !== '--resume');
  return ['livedesk-import', ...args.map(quote), '--resume'].join(' ');
}

async function importCommand(args: RawArgs & { config?: unknown }, io: CliIO, say: (text: string) => void, resumeCommand: string): Promise<number> {
  let opts;
  try {
    const config = typeof args.config === 'string' ? args.config : undefined;
    // The YAML and schema libraries load only for a job file.
    const job = config === undefined ? undefined : await import('./config.js');
    opts = normalizeOptions(job === undefined || config === undefined ? args : job.mergeArgs(job.loadJobFile(config), args), io.env);
  } catch (e) {
    if (e instanceof UsageError) {
      say(`livedesk-import: ${e.message}`);
      return EXIT.usage;
    }
    throw e;
  }
  const log = createLogger({ human: io.stderr, ...(opts.logLevel ? { level: opts.logLevel } : {}), ...(opts.logFile ? { file: opts.logFile } : {}) });
  // First Ctrl-C (or SIGTERM): stop reading, let requests in flight finish, flush the files and
  // print the summary. A second one leaves at once.
  const stop = new AbortController();
  let signalled: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (signalled) process.exit(exitForSignal(sig));
    signalled = sig;
    say(`\n${sig} received: finishing the requests in flight and writing the outputs (press Ctrl-C again to quit at once)`);
    stop.abort(`${sig} received`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const tty = (io.stderr as NodeJS.WriteStream).isTTY ? (io.stderr as NodeJS.WriteStream) : undefined;
    const { exitCode } = await runImport(opts, { log, say, stop: stop.signal, resumeCommand, ...(tty ? { progressTty: tty } : {}) });
    return signalled ? exitForSignal(signalled) : exitCode;
  } catch (e) {
    if (e instanceof UsageError) {
      say(`livedesk-import: ${e.message}`);
      return EXIT.usage;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

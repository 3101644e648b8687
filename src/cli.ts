// The command line: yargs commands and flags, wired to the pipeline. No import logic lives here.
import { randomBytes } from 'node:crypto';
import yargs from 'yargs';
import { createLogger } from './log.js';
import { run } from './run/run.js';
import { EXIT, UsageError } from './errors.js';
import { STDIN, STDIN_PATH } from './source/file.js';
import { normalizeOptions, type RawArgs } from './options.js';
import { checkOutputs } from './sinks/output-paths.js';
import { markDryRunOutputs, setAsideDryRunOutputs } from './run/previous-run.js';
import { envSentence, yargsOptions, yargsPositional } from './options/help.js';
import { standinCommand } from './standin/command.js';
import { openSource } from './source/open.js';
import { describeMapping, describeOrigin, detectMapping, hasAnyField, mappingReport } from './map/index.js';

const exitForSignal = (sig: NodeJS.Signals): number => (sig === 'SIGTERM' ? EXIT.sigterm : EXIT.sigint);

const EPILOG = `Credentials are read only from the environment (LIVEDESK_API_KEY and LIVEDESK_API_SECRET, from
Project Settings - API Management) or from --credentials-file; no flag takes a secret. ${envSentence()}

Exit codes: ${EXIT.ok} every row imported (dry run: every row valid), ${EXIT.rowsFailed} finished with failed rows,
${EXIT.usage} bad usage or configuration (nothing sent), ${EXIT.stopped} stopped early (credentials refused, unknown inbox,
LiveDesk unreachable, an output file could not be written: finish with --resume),
${EXIT.sigint}/${EXIT.sigterm} stopped by Ctrl-C / SIGTERM (outputs complete up to that point).`;

class ArgvRejected extends Error {}

export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

export async function main(argv: string[], io: CliIO = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  let exitCode: number = EXIT.ok;
  const say = (text: string): void => void io.stderr.write(text + '\n');

  // yargs reads a bare `-` (standard input) as an empty flag: it goes in as /dev/stdin (source/file.ts).
  const parser = yargs(argv.map((a) => (a === STDIN ? STDIN_PATH : a)))
    .scriptName('livedesk-import')
    .usage('$0 <file> [options]\n\nImport contacts from a CSV file or .xlsx workbook into LiveDesk.')
    .command(
      '$0 [file]',
      'import the contacts in a CSV file or .xlsx workbook',
      (y) =>
        y
          .positional('file', yargsPositional())
          .options(yargsOptions())
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
          .options(yargsOptions(['delimiter', 'sheet']))
          .example('$0 mapping export.csv > mapping.json', 'save the detected mapping, edit it, then import with --mapping mapping.json'),
      async (args) => {
        exitCode = await mappingCommand(String(args.file), textArg(args.delimiter), textArg(args.sheet), io, say);
      },
    )
    .command(
      'state [action] [file]',
      'the state store: where it is and what it knows (state), export it (state export FILE.csv), delete it (state forget)',
      (y) =>
        y
          .positional('action', { type: 'string', choices: ['show', 'export', 'forget'], describe: 'show (default), export or forget' })
          .positional('file', { type: 'string', describe: 'with export: the CSV file to write (new, private)' })
          .option('state', { type: 'string', describe: 'the state store (default: $XDG_STATE_HOME/livedesk-import/)' })
          .option('base-url', { type: 'string', describe: 'with export or forget: the store of this LiveDesk base URL [env LIVEDESK_BASE_URL]' })
          .option('inbox-id', { type: 'string', describe: 'with export or forget: the store of this inbox [env LIVEDESK_INBOX_ID]; LIVEDESK_API_KEY picks the account' })
          .option('missing', { type: 'boolean', describe: 'with export: only the contacts the last complete run\'s file no longer had' })
          .option('yes', { type: 'boolean', describe: 'with forget: do not ask' })
          .example('$0 state', 'where the store is, and how many contacts it knows for which inbox')
          .example('LIVEDESK_API_KEY=… $0 state export known.csv --inbox-id 407', 'every contact the store knows for inbox 407'),
      async (args) => {
        try {
          exitCode = await (await import('./state/command.js')).stateCommand(
            { ...(args.action ? { action: String(args.action) } : {}), ...(args.file ? { file: String(args.file) } : {}), ...(args.state ? { state: String(args.state) } : {}), ...(args.baseUrl ? { baseUrl: String(args.baseUrl) } : {}), ...(args.inboxId ? { inboxId: String(args.inboxId) } : {}), missing: args.missing === true, yes: args.yes === true },
            { say, env: io.env, stdin: process.stdin },
          );
        } catch (e) {
          if (!(e instanceof UsageError)) throw e;
          say(`livedesk-import: ${e.message}`);
          exitCode = EXIT.usage;
        }
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

const textArg = (value: unknown): string | undefined => (value === undefined ? undefined : String(value));

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
    // SourceError (the file cannot be read as CSV) is a UsageError.
    if (e instanceof UsageError) {
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

async function importCommand(args: RawArgs, io: CliIO, say: (text: string) => void, resumeCommand: string): Promise<number> {
  let opts;
  try {
    const config = typeof args.config === 'string' ? args.config : undefined;
    // The YAML and schema libraries load only for a job file.
    const job = config === undefined ? undefined : await import('./options/job-file.js');
    let raw = args;
    if (job !== undefined && config !== undefined) {
      const loaded = job.loadJob(config);
      const found = job.findStoppedRun(job.mergeArgs(loaded.args, args), loaded.templates, args);
      raw = found.args;
      if (found.note !== undefined) say(found.note);
    }
    opts = normalizeOptions(raw, io.env);
    // Before the log file is opened or anything is written: no output may be the input, a link, or unwritable.
    await checkOutputs(opts);
    // Then (never the input) a file in a dry run's way that it did not write is kept aside.
    if (opts.mode !== 'import') for (const note of setAsideDryRunOutputs(opts)) say(note);
  } catch (e) {
    if (e instanceof UsageError) {
      say(`livedesk-import: ${e.message}`);
      return EXIT.usage;
    }
    throw e;
  }
  // One id a run, on every line of the (shared, appended) log file and in the summary.
  const runId = `${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
  const log = createLogger({ human: io.stderr, runId, ...(opts.logLevel ? { level: opts.logLevel } : {}), ...(opts.logFile ? { file: opts.logFile } : {}) });
  log.info({ mode: opts.mode, input: opts.file, resume: opts.resume }, `run ${runId} started`);
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
    const { exitCode } = await run(opts, { log, say, stop: stop.signal, resumeCommand, ...(tty ? { progressTty: tty } : {}) });
    if (opts.mode !== 'import') markDryRunOutputs(opts);
    return signalled ? exitForSignal(signalled) : exitCode;
  } catch (e) {
    if (e instanceof UsageError) {
      say(`livedesk-import: ${e.message}`);
      // Stopped while the input had not begun (a pipe nothing was written to): the signal's code.
      return signalled ? exitForSignal(signalled) : EXIT.usage;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

// One run, as a row lives it:
//   source (records from the file) → map (a row to send, or its outcome) → send (its outcome from
//   LiveDesk) → sinks (journal, results, failures, summary, report, progress).
// Planning (input, mapping, lock, output files) is in plan.ts, stopping in stopper.ts; each stage
// decides its own outcomes, and this module only passes rows along.
import { EXIT, type ExitCode } from '../errors.js';
import type { Logger } from '../log.js';
import { describeMapping, describeOrigin, MapStage } from '../map/index.js';
import type { Options } from '../options.js';
import { startProgress } from '../progress.js';
import { openSendStage } from '../send/stage.js';
import { ReportSink, Sinks } from '../sinks/index.js';
import { isFailuresFile, rowNumbering } from '../sinks/failures.js';
import { StateSink } from '../sinks/state-sink.js';
import { decideKnown } from '../send/known.js';
import { writeReport } from '../sinks/report/index.js';
import { emptySummary, formatSummary, restoreSummary, writeSummaryJson, type Summary } from '../sinks/summary.js';
import { SourceError } from '../source/errors.js';
import { describeSource } from '../source/open.js';
import type { ContactPayload, Outcome, ValidRow } from '../types.js';
import { planRun } from './plan.js';
import { Stopper } from './stopper.js';

export interface RunIO {
  log: Logger;
  /** Human-facing lines (the mapping, the summary): stderr in the CLI. */
  say: (text: string) => void;
  /** Aborting this stops the run like a fatal error would (rows left unsent). */
  stop?: AbortSignal;
  /** How often the progress line is printed off a terminal; 0 turns progress off. */
  progressEveryMs?: number;
  /** Where a progress bar may be drawn: set only when stderr is a terminal. */
  progressTty?: NodeJS.WriteStream;
  /** The command that finishes this run, printed when it stops early. */
  resumeCommand?: string;
}

export interface RunResult {
  summary: Summary;
  exitCode: ExitCode;
}

export async function run(opts: Options, io: RunIO): Promise<RunResult> {
  const started = performance.now();
  const { source, mapping, outputs, resumed, release, inputRecorded, notes, store } = await planRun(opts, io.stop);
  for (const n of notes) io.say(n);
  io.say(
    `${opts.mode === 'import' ? 'Importing' : 'Checking'} ${opts.file} (${describeSource(source)}) with this mapping, ${describeOrigin(mapping, opts.mapping)}:\n` +
      describeMapping(mapping).join('\n'),
  );
  for (const w of opts.warnings) io.log.warn(w);

  const summary = emptySummary(opts.mode !== 'import', opts.failures, opts.mode === 'dry-run' ? undefined : opts.results);
  if (resumed) {
    restoreSummary(summary, resumed);
    io.say(
      `Resuming: ${resumed.done.size} rows were finished by the earlier run${resumed.restoredLines ? ` (${resumed.restoredLines} output lines restored from the journal)` : ''}; ` +
        `sending the rest${resumed.retried ? `, and again the ${resumed.retried} rows that failed for a reason a retry can fix (network, timeout, server error, rate limit)` : ''}.`,
    );
  }
  const report = opts.report ? new ReportSink(mapping, { file: opts.file, header: source.header, source: source.format, dryRun: opts.mode !== 'import', ...(mapping.preset ? { preset: mapping.preset } : {}) }) : undefined;
  const sinks = new Sinks(summary, outputs, io.log, report);
  const stopper = new Stopper(io.log, opts.maxConsecutiveFailures, io.stop);
  // A stop ends a read that waits for data (a pipe whose writer is silent), not only the sending.
  stopper.signal.addEventListener('abort', () => source.close(), { once: true });
  // Only a live run writes the state store: LiveDesk's answers, after the files have them.
  const stateSink = store && opts.mode === 'import' ? new StateSink(store, (reason) => stopper.stop(reason)) : undefined;
  if (store) summary.state = store.file;
  const settle = (o: Outcome): void => {
    sinks.take(o);
    stateSink?.take(o);
    stopper.observe(o);
  };
  const lookUp = store
    ? (contact: ContactPayload) => {
        const found = store.find(contact);
        // A contact a row of this file leads to is not one the file "no longer has".
        for (const c of Object.values(found)) if (c !== undefined) store.markSeen(c.id);
        return found;
      }
    : undefined;
  const known = lookUp && !opts.full ? (contact: ContactPayload) => decideKnown(contact, lookUp(contact)) : undefined;
  // Rows `known` does not see still lead to contacts the file has: every row with --full (nothing
  // decided by the store), a row the map rejected (not sent) — so they are not called "missing".
  const markInFile = lookUp
    ? (row: ValidRow | Outcome): void => {
        if ((row.kind === 'ready' && opts.full) || (row.kind === 'failed' && row.contact)) lookUp(row.contact!);
      }
    : undefined;

  const map = new MapStage({
    mapping,
    options: { ...(opts.defaultCountry ? { defaultCountry: opts.defaultCountry } : {}), invalidPhone: opts.invalidPhone },
    // A failures file fed back in had its formula-like cells prefixed with ' when it was written:
    // take the prefix off again, or "-foo@example.com" would be sent as "'-foo@example.com".
    restoreFormulas: !opts.rawOutput && isFailuresFile(source.header),
    ...(isFailuresFile(source.header) ? { rowNumber: rowNumbering(source.header) } : {}),
    ...(resumed ? { done: resumed.done } : {}),
    size: { fileBytes: source.size, bytesRead: source.bytesRead },
  });
  if (opts.mode !== 'dry-run') {
    io.say(`${opts.mode === 'check' ? 'Looking rows up in' : 'Sending to'} ${opts.baseUrl}${opts.mode === 'check' ? '' : `, inbox ${opts.inboxId}`}: concurrency ${opts.concurrency}, at most ${opts.rate} requests/s.`);
  }
  const send = openSendStage(opts, {
    settle,
    stop: (reason) => stopper.stop(reason),
    signal: stopper.signal,
    stats: summary,
    markSent: (row) => sinks.markSent(row),
    ...(resumed ? { maybeSent: resumed.maybeSent } : {}),
    ...(known ? { known } : {}),
    ...(stateSink ? { state: stateSink } : {}),
    onRetry: (c, delay, row) => io.log.debug({ row, error: c.code, delayMs: delay }, `${row === undefined ? 'search' : `row ${row}`}: ${c.message}; retrying in ${delay} ms`),
  });
  const everyMs = io.progressEveryMs ?? 10_000;
  const stopProgress =
    everyMs > 0
      ? startProgress({ summary, bytesRead: source.bytesRead, fileBytes: source.size }, io.say, everyMs, { quiet: opts.quiet, ...(io.progressTty ? { tty: true, stream: io.progressTty } : {}) })
      : () => {};

  try {
    for await (const record of source.records) {
      if (stopper.stopped) break;
      const row = map.decide(record);
      if (row === undefined) continue; // finished by the run this one resumes
      markInFile?.(row);
      if (row.kind !== 'ready') settle(row);
      else await send.submit(row);
    }
  } catch (e) {
    // The file turned out unreadable part-way (an over-long record, an encoding error), or an
    // output could not be written (a full disk): stop as an abort does, so the rows before keep
    // their outcomes, the summary is printed and --resume can finish the job.
    stopper.stop(e instanceof SourceError ? `${opts.file} cannot be read further: ${e.message}` : (e as Error).message);
  } finally {
    source.close();
    try {
      // The bar keeps counting while the last requests (and their retries) finish.
      await send.finish();
      stopProgress();
      await inputRecorded;
      // Every row has an outcome: the journal says the run finished, so it never blocks the next.
      if (!stopper.stopped) sinks.finish();
      sinks.close();
      // A resumed run skips the rows its predecessor finished, so it cannot tell which contacts left the file.
      const missing = await stateSink?.finish(!stopper.stopped && !resumed);
      if (missing) summary.missingFromFile = missing;
      if (!stateSink) await store?.close();
    } catch (e) {
      stopper.stop(`cannot finish writing the output files: ${(e as Error).message}`);
    } finally {
      stopProgress();
      stopper.detach();
      release();
    }
  }

  const { beforeHeader, footer } = source.skippedLines();
  if (beforeHeader) summary.skippedBeforeHeader = beforeHeader;
  if (footer) summary.skippedFooter = footer;
  summary.aborted = stopper.stopped;
  if (stopper.reason !== undefined) summary.abortReason = stopper.reason;
  summary.durationMs = Math.round(performance.now() - started);
  if (map.staffRows > 0) summary.staffRows = map.staffRows;
  if (map.phonesLeftOut > 0) summary.invalidPhoneLeftOut = map.phonesLeftOut;
  // A file that cannot be written now (a full disk, a folder made read-only during the run) still
  // leaves the summary on stderr, and the run ends with exit 3, naming the file.
  const unwritten: string[] = [];
  const attempt = (write: () => void): void => {
    try {
      write();
    } catch (e) {
      unwritten.push((e as Error).message);
    }
  };
  if (opts.summary) attempt(() => writeSummaryJson(opts.summary!, summary));
  if (report && opts.report) attempt(() => writeReport(opts.report!, report.collector.finish(summary)));
  io.say(formatSummary(summary));
  for (const m of unwritten) io.say(`livedesk-import: ${m}`);
  if (summary.aborted && opts.mode === 'import' && source.pipe) {
    io.say('This run read a pipe, which cannot be read again: it cannot be resumed. To finish, send the whole input again with --force (contacts LiveDesk already has are found, not created twice; rows with no email, phone or identifier excepted).');
  } else if (summary.aborted && opts.mode === 'import' && io.resumeCommand) io.say(`To finish this run, send the rest with:\n  ${io.resumeCommand}`);
  return { summary, exitCode: unwritten.length > 0 ? EXIT.stopped : exitCodeOf(summary) };
}

/** The exit code a finished run earns; usage errors (2) never get this far. */
export function exitCodeOf(s: Summary): ExitCode {
  return s.aborted ? EXIT.stopped : s.failed > 0 ? EXIT.rowsFailed : EXIT.ok;
}

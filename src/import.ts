// The import pipeline, stage by stage:
//   source (CSV records) → map (fields, validation) → send (queue, pace, retry) → sinks.
// Every row read ends in exactly one place: results, failures, skipped (all cells empty), or
// notSent (the run stopped first); the summary's counts add up to the rows read.
import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import PQueue from 'p-queue';
import type { Logger } from './log.js';
import { UsageError, type Options } from './options.js';
import { startProgress } from './progress.js';
import { SourceError } from './source/csv-source.js';
import { describeSource, openSource, type Source as CsvSource } from './source/open.js';
import { describeMapping, describeOrigin, detectMapping, hasAnyField, InFileDuplicates, TableSizing, cellBytes, SIZING_ROWS, loadMappingFile, mappingToSpec, MappingError, type MapOptions, type ResolvedMapping } from './map/index.js';
import { checkRow } from './send/check.js';
import { createClient, type LiveDeskClient } from './send/client.js';
import { KeyLock } from './send/key-lock.js';
import { RatePacer } from './send/rate.js';
import { sendRow, type SendResult, type SenderContext } from './send/sender.js';
import { CsvLineFile } from './sinks/csv-file.js';
import { FailureFormat } from './sinks/failures.js';
import { Journal, JournalError, JOURNAL_FORMAT, type ResumeState } from './sinks/journal.js';
import { acquireLock, LockError } from './sinks/lock.js';
import { Outputs } from './sinks/outputs.js';
import { resultsHeaderLine, type CellFilter } from './sinks/results.js';
import { emptySummary, formatSummary, writeSummaryJson, type Summary } from './sinks/summary.js';
import type { ErrorCode, ValidRow } from './types.js';
import { neutralizeCell } from './security/formula.js';
import { mapRecords } from './map/parallel.js';
import { ReportCollector, writeReport } from './sinks/report.js';
import { problemColumn, reportMapping } from './sinks/report-wiring.js';
import type { FailureRecord } from './sinks/failures.js';

export interface ImportIO {
  log: Logger;
  /** Human-facing lines (the mapping, the summary): stderr in the CLI. */
  say: (text: string) => void;
  /** Test seam: a client other than the undici one. */
  client?: LiveDeskClient;
  /** Aborting this stops the run like a fatal error would (rows left unsent). */
  stop?: AbortSignal;
  /** How often the progress line is printed off a terminal; 0 turns progress off. */
  progressEveryMs?: number;
  /** Where a progress bar may be drawn: set only when stderr is a terminal. */
  progressTty?: NodeJS.WriteStream;
  /** The command that finishes this run, printed when it stops early. */
  resumeCommand?: string;
}

export interface ImportOutcome {
  summary: Summary;
  exitCode: 0 | 1 | 2 | 3;
}

/** Failures that say LiveDesk (or the way to it) is in trouble, not the row. */
const OUTAGE_CODES = new Set<ErrorCode>(['server_error', 'network', 'timeout', 'rate_limited']);

/**
 * The map stage's worker entry, beside this module in dist/ (also in the bundle). Running from
 * the TypeScript sources (the unit tests) there is none, and rows are mapped on the main thread.
 */
const WORKER_URL = new URL('./map/worker.js', import.meta.url);
/**
 * Worker threads for the map stage: --threads, else none. A worker made a dry run of 1M rows 27 %
 * faster on two cores but added ~55 MB of memory (its own V8 heap and libphonenumber-js's
 * metadata) and did little for a live import, whose pace the network sets; so it is asked for,
 * not assumed (README, "Speed and memory").
 */
function mapThreads(opts: Options): number {
  if (!opts.threads || !existsSync(fileURLToPath(WORKER_URL))) return 0;
  return opts.threads;
}

function isBlank(values: readonly string[]): boolean {
  for (const v of values) if (v.trim() !== '') return false;
  return true;
}

function resolveMapping(opts: Options, source: CsvSource): ResolvedMapping {
  const mapping = opts.mapping ? loadMappingFile(opts.mapping, source.header) : detectMapping(source.header);
  if (!hasAnyField(mapping)) {
    throw new UsageError(
      `no column of ${opts.file} could be matched to a LiveDesk field. Its columns are: ${source.header.map((h) => JSON.stringify(h)).join(', ')}. ` +
        'Name them name / email / phone / identifier, or pass --mapping FILE (see the README)',
    );
  }
  return mapping;
}

/** Opens the input and checks the mapping; errors here are usage errors (exit 2, nothing sent). */
async function prepare(opts: Options): Promise<{ source: CsvSource; mapping: ResolvedMapping }> {
  try {
    const source = await openSource(opts.file, {
      maxFieldBytes: opts.maxFieldBytes,
      ...(opts.delimiter === undefined ? {} : { delimiter: opts.delimiter }),
      ...(opts.encoding === undefined ? {} : { encoding: opts.encoding }),
      ...(opts.sheet === undefined ? {} : { sheet: opts.sheet }),
    });
    try {
      return { source, mapping: resolveMapping(opts, source) };
    } catch (e) {
      source.close();
      throw e;
    }
  } catch (e) {
    if (e instanceof SourceError || e instanceof MappingError) throw new UsageError(e.message);
    throw e;
  }
}

/** Hash of the file's first MiB and last 64 KiB, with its size: enough to tell a changed file. */
function fingerprintFile(path: string): { size: number; sha256: string } {
  const size = statSync(path).size;
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(Math.min(size, 1 << 20));
    readSync(fd, head, 0, head.length, 0);
    hash.update(head);
    const tailLen = Math.min(size, 64 << 10);
    const tail = Buffer.alloc(tailLen);
    readSync(fd, tail, 0, tailLen, size - tailLen);
    hash.update(tail);
  } finally {
    closeSync(fd);
  }
  return { size, sha256: hash.digest('hex') };
}

/** What makes a resumed run the same job. Speed settings (rate, concurrency, …) may change. */
function jobIdentity(opts: Options, source: CsvSource, mapping: ResolvedMapping): Record<string, unknown> {
  return {
    input: { path: resolve(opts.file), ...fingerprintFile(opts.file) },
    inboxId: opts.inboxId,
    baseUrl: opts.baseUrl,
    mapping: mappingToSpec(mapping),
    delimiter: source.delimiter,
    encoding: source.encoding,
    sheet: source.sheet ?? null,
    defaultCountry: opts.defaultCountry ?? null,
    onExisting: opts.onExisting,
    results: resolve(opts.results),
    failures: resolve(opts.failures),
  };
}

interface OpenedOutputs {
  outputs: Outputs;
  resumed?: ResumeState;
  release: () => void;
}

function openOutputs(opts: Options, source: CsvSource, mapping: ResolvedMapping, summary: Summary, log: Logger, cell: CellFilter): Promise<OpenedOutputs> | OpenedOutputs {
  const failureFormat = new FailureFormat(source.header, cell);
  const wantResults = !opts.dryRun || opts.checkExisting;
  let release: () => void;
  try {
    release = acquireLock(`${opts.dryRun ? opts.failures : opts.journal}.lock`, opts.dryRun ? opts.failures : `${opts.results} and ${opts.failures}`);
  } catch (e) {
    if (e instanceof LockError) throw new UsageError(e.message);
    throw e;
  }
  if (opts.resume) {
    return (async () => {
      try {
        const { journal, state } = await Journal.resume(opts.journal, jobIdentity(opts, source, mapping));
        const outputs = new Outputs(summary, CsvLineFile.append(opts.failures), failureFormat, CsvLineFile.append(opts.results), journal, log, cell);
        return { outputs, resumed: state, release };
      } catch (e) {
        release();
        if (e instanceof JournalError) throw new UsageError(e.message);
        throw e;
      }
    })();
  }
  try {
    const results = wantResults ? CsvLineFile.create(opts.results, resultsHeaderLine()) : undefined;
    const failures = CsvLineFile.create(opts.failures, failureFormat.headerLine);
    const journal = opts.dryRun
      ? undefined
      : Journal.create(opts.journal, {
          format: JOURNAL_FORMAT,
          v: 1,
          identity: jobIdentity(opts, source, mapping),
          files: {
            results: { path: opts.results, header: resultsHeaderLine() },
            failures: { path: opts.failures, header: failureFormat.headerLine },
          },
          startedAt: new Date().toISOString(),
        });
    return { outputs: new Outputs(summary, failures, failureFormat, results, journal, log, cell), release };
  } catch (e) {
    // A folder that cannot be written, a full disk: nothing was sent yet, so this is a usage error.
    release();
    throw new UsageError(`cannot create the output files: ${(e as Error).message}`);
  }
}

export async function runImport(opts: Options, io: ImportIO): Promise<ImportOutcome> {
  const started = performance.now();
  const { source, mapping } = await prepare(opts);
  io.say(
    `${opts.dryRun ? 'Checking' : 'Importing'} ${opts.file} (${describeSource(source)}) with this mapping, ${describeOrigin(mapping, opts.mapping)}:\n` +
      describeMapping(mapping).join('\n'),
  );

  for (const w of opts.warnings) io.log.warn(w);
  const summary = emptySummary(opts.dryRun, opts.failures, opts.dryRun && !opts.checkExisting ? undefined : opts.results);
  let opened: OpenedOutputs;
  try {
    opened = await openOutputs(opts, source, mapping, summary, io.log, opts.rawOutput ? (c) => c : neutralizeCell);
  } catch (e) {
    source.close();
    throw e;
  }
  const { outputs, resumed, release } = opened;
  const report = opts.report
    ? new ReportCollector({
        file: opts.file,
        header: source.header,
        encoding: source.encoding,
        delimiter: source.delimiter,
        dryRun: opts.dryRun,
        ...reportMapping(mapping),
        ...(mapping.preset ? { preset: mapping.preset } : {}),
      })
    : undefined;
  /** A failed row: to the failures file (and journal), and to the report's sample of problems. */
  const fail = (f: FailureRecord & { field?: string; value?: string }): void => {
    outputs.failure(f);
    report?.problem({ row: f.row, values: f.values, code: f.code, message: f.message, column: problemColumn(mapping, f.values, f) });
  };
  if (resumed) {
    const { counts, byError, done, restoredLines } = resumed;
    Object.assign(summary, { created: counts.created, existing: counts.existing, updated: counts.updated, failed: counts.failed, rows: done.size, resumedRows: done.size });
    summary.byError = { ...byError };
    io.say(`Resuming: ${done.size} rows were finished by the earlier run${restoredLines ? ` (${restoredLines} output lines restored from the journal)` : ''}; sending the rest.`);
  }
  const sending = !opts.dryRun || opts.checkExisting;
  if (sending) {
    io.say(
      `${opts.dryRun ? 'Looking rows up in' : 'Sending to'} ${opts.baseUrl}${opts.dryRun ? '' : `, inbox ${opts.inboxId}`}: concurrency ${opts.concurrency}, at most ${opts.rate} requests/s.`,
    );
  }
  const client = sending
    ? (io.client ?? createClient({ baseUrl: opts.baseUrl, apiKey: opts.apiKey, apiSecret: opts.apiSecret, connections: opts.concurrency, timeoutMs: opts.timeoutMs }))
    : undefined;

  const stopper = new AbortController();
  // Every pending wait (pacing, backoff) listens for the stop: many at once is normal here.
  setMaxListeners(0, stopper.signal);
  const stop = (reason: string): void => {
    if (stopper.signal.aborted) return;
    summary.aborted = true;
    summary.abortReason = reason;
    stopper.abort(reason);
  };
  const onExternalStop = (): void => stop(String(io.stop?.reason ?? 'stopped'));
  if (io.stop?.aborted) onExternalStop();
  io.stop?.addEventListener('abort', onExternalStop, { once: true });

  let consecutiveOutage = 0;
  const record = (r: SendResult): void => {
    switch (r.kind) {
      case 'created':
      case 'existing':
      case 'updated':
        consecutiveOutage = 0;
        outputs.result({ row: r.row, outcome: r.kind, contactId: r.contactId, contact: r.contact });
        return;
      case 'failed':
        fail(r);
        if (OUTAGE_CODES.has(r.code)) {
          consecutiveOutage++;
          if (opts.maxConsecutiveFailures > 0 && consecutiveOutage >= opts.maxConsecutiveFailures) {
            stop(`${consecutiveOutage} rows in a row failed with network or server errors (last: ${r.message}); LiveDesk may be down or unreachable`);
            io.log.error(summary.abortReason!);
          }
        } else {
          consecutiveOutage = 0;
        }
        return;
      case 'notSent':
        summary.notSent++;
        return;
      case 'fatal':
        summary.notSent++;
        if (!summary.aborted) io.log.error(r.message);
        stop(r.message);
        return;
    }
  };

  const ctx: SenderContext | undefined = client && {
    client,
    pacer: new RatePacer(opts.rate),
    keyLock: new KeyLock(),
    inboxId: opts.inboxId,
    baseUrl: opts.baseUrl,
    retries: opts.retries,
    onExisting: opts.onExisting,
    stop: stopper.signal,
    stats: summary,
    markSent: (row) => outputs.markSent(row),
    onRetry: (row, c, delay) => io.log.debug({ row, error: c.code, delayMs: delay }, `row ${row}: ${c.message}; retrying in ${delay} ms`),
  };
  const task = (row: ValidRow): (() => Promise<void>) => {
    if (opts.dryRun) {
      return async () => {
        const c = await checkRow(row, ctx!);
        if (c.kind === 'fatal') {
          summary.notSent++;
          if (!summary.aborted) io.log.error(c.message);
          stop(c.message);
          return;
        }
        if (c.kind === 'error') {
          summary.notSent++;
          io.log.warn({ row: row.row }, `row ${row.row}: could not check LiveDesk: ${c.message}`);
          return;
        }
        outputs.result({ row: row.row, outcome: c.kind, contactId: c.kind === 'existing' ? c.contactId : '', contact: row.contact });
      };
    }
    return async () => record(await sendRow(row, ctx!, resumed?.maybeSent.has(row.row) ?? false));
  };

  const queue = new PQueue({ concurrency: opts.concurrency });
  const everyMs = io.progressEveryMs ?? 10_000;
  const stopProgress =
    everyMs > 0
      ? startProgress({ summary, bytesRead: source.bytesRead, fileBytes: statSync(opts.file).size }, io.say, everyMs, {
          quiet: opts.quiet,
          ...(io.progressTty ? { tty: true, stream: io.progressTty } : {}),
        })
      : () => {};

  const mapOptions: MapOptions = opts.defaultCountry ? { defaultCountry: opts.defaultCountry } : {};
  const duplicates = new InFileDuplicates();
  const sizing = new TableSizing(statSync(opts.file).size, cellBytes(source.encoding));
  const mapped = mapRecords(source.records, (rec) => rec.kind === 'record' && !isBlank(rec.values), {
    mapping,
    options: mapOptions,
    // A failures file fed back in had its formula-like cells prefixed with ' when it was written:
    // take the prefix off again, or "-foo@example.com" would be sent as "'-foo@example.com".
    restoreFormulas: !opts.rawOutput && source.header.includes('_row') && source.header.includes('_error'),
    threads: mapThreads(opts),
    workerUrl: WORKER_URL,
    onWorkerError: (e) => io.log.warn(`a worker thread stopped (${e.message}); mapping the rest of the rows on the main thread`),
  });
  try {
    rows: for await (const { recs, results } of mapped) {
      for (let i = 0; i < recs.length; i++) {
        const rec = recs[i]!;
        const v = results[i];
        if (stopper.signal.aborted) break rows;
        if (resumed?.done.has(rec.row)) {
          // Replay the row into the duplicate check, so a later row that repeats it is caught as
          // it would have been in one uninterrupted run.
          if (v?.ok) duplicates.check(rec.row, v.contact);
          continue;
        }
        summary.rows++;
        if (rec.kind === 'malformed') {
          summary.invalid++;
          fail({ row: rec.row, values: rec.values, code: 'malformed_row', message: rec.message });
          continue;
        }
        if (v === undefined) {
          summary.skipped++;
          continue;
        }
        if (!v.ok) {
          summary.invalid++;
          fail({ row: rec.row, values: rec.values, code: v.code, message: v.message });
          continue;
        }
        const keysBefore = duplicates.size;
        const dup = duplicates.check(rec.row, v.contact);
        if (sizing.rows < SIZING_ROWS) sizing.add(rec.values, duplicates.size - keysBefore, rec.row, duplicates);
        if (dup) {
          summary.invalid++;
          fail({ row: rec.row, values: rec.values, code: 'duplicate_in_file', message: dup.message, field: dup.key, value: dup.value });
          continue;
        }
        report?.sample(rec.row, v.contact);
        summary.valid++;
        if (!ctx) continue;
        // Backpressure: read the next row only when the queue has room, so memory holds the
        // queue's rows plus the map stage's few batches however large the file.
        await queue.onSizeLessThan(opts.concurrency);
        if (stopper.signal.aborted) {
          summary.notSent++;
          break rows;
        }
        queue.add(task({ row: rec.row, line: rec.line, values: rec.values, contact: v.contact })).catch((e: unknown) => {
          // An output or journal write failed for this row: it has no recorded outcome, so --resume
          // will redo it (its sent mark, if written, makes that safe).
          summary.notSent++;
          stop(`cannot write an output file: ${(e as Error).message}`);
        });
      }
    }
  } catch (e) {
    // The file turned out unreadable part-way (an over-long record, an encoding error), or an
    // output could not be written (a full disk): stop as an abort does, so the rows before keep
    // their outcomes, the summary is printed and --resume can finish the job.
    stop(e instanceof SourceError ? `${opts.file} cannot be read further: ${e.message}` : (e as Error).message);
    io.log.error(summary.abortReason!);
  } finally {
    source.close();
    // The bar keeps counting while the last requests (and their retries) finish.
    await queue.onIdle();
    stopProgress();
    try {
      await client?.close();
      outputs.close();
    } catch (e) {
      stop(`cannot finish writing the output files: ${(e as Error).message}`);
      io.log.error(summary.abortReason!);
    } finally {
      release();
      io.stop?.removeEventListener('abort', onExternalStop);
    }
  }

  summary.durationMs = Math.round(performance.now() - started);
  if (opts.summary) writeSummaryJson(opts.summary, summary);
  if (report && opts.report) writeReport(opts.report, report.finish(summary));
  io.say(formatSummary(summary));
  if (summary.aborted && !opts.dryRun && io.resumeCommand) io.say(`To finish this run, send the rest with:\n  ${io.resumeCommand}`);
  const exitCode = summary.aborted ? 3 : summary.failed > 0 ? 1 : 0;
  return { summary, exitCode };
}

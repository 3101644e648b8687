// The import pipeline, stage by stage:
//   source (CSV records) → map (fields, validation) → send (queue, pace, retry) → sinks.
// Every row read ends in exactly one place: results, failures, skipped (all cells empty), or
// notSent (the run stopped first); the summary's counts add up to the rows read.
import PQueue from 'p-queue';
import type { Options } from './options.js';
import type { Logger } from './log.js';
import { openCsvSource, type CsvSource } from './source/csv-source.js';
import { describeMapping, detectMapping, extractRow, hasAnyField, loadMappingFile, validateContact, type ResolvedMapping } from './map/index.js';
import { createClient, type LiveDeskClient } from './send/client.js';
import { KeyLock } from './send/key-lock.js';
import { RatePacer } from './send/rate.js';
import { sendRow, type SendResult, type SenderContext } from './send/sender.js';
import { FailuresWriter } from './sinks/failures.js';
import { ResultsWriter } from './sinks/results.js';
import { countFailure, emptySummary, formatSummary, writeSummaryJson, type Summary } from './sinks/summary.js';
import { UsageError } from './options.js';
import { startProgress } from './progress.js';
import { statSync } from 'node:fs';
import { SourceError } from './source/csv-source.js';
import { MappingError } from './map/index.js';
import type { ErrorCode } from './types.js';

export interface ImportIO {
  log: Logger;
  /** Human-facing lines (the mapping, the summary): stderr in the CLI. */
  say: (text: string) => void;
  /** Test seam: a client other than the undici one. */
  client?: LiveDeskClient;
  /** Aborting this stops the run like a fatal error would (rows left unsent). */
  stop?: AbortSignal;
  /** How often the progress line is printed; 0 turns it off. */
  progressEveryMs?: number;
}

export interface ImportOutcome {
  summary: Summary;
  exitCode: 0 | 1 | 2 | 3;
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
    const source = await openCsvSource(opts.file, opts.delimiter === undefined ? {} : { delimiter: opts.delimiter });
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

export async function runImport(opts: Options, io: ImportIO): Promise<ImportOutcome> {
  const started = performance.now();
  const { source, mapping } = await prepare(opts);
  const delimName = source.delimiter === '\t' ? 'tab' : JSON.stringify(source.delimiter);
  io.say(
    `${opts.dryRun ? 'Checking' : 'Importing'} ${opts.file} (delimiter ${delimName}) with this mapping${mapping.detected ? ' (detected from the header)' : ` (from ${opts.mapping})`}:\n` +
      describeMapping(mapping).join('\n'),
  );
  if (!opts.dryRun) io.say(`Sending to ${opts.baseUrl}, inbox ${opts.inboxId}: concurrency ${opts.concurrency}, at most ${opts.rate} requests/s.`);

  const summary = emptySummary(opts.dryRun, opts.failures, opts.dryRun ? undefined : opts.results);
  const failures = new FailuresWriter(opts.failures, source.header);
  const results = opts.dryRun ? undefined : new ResultsWriter(opts.results);
  const client =
    opts.dryRun ? undefined : (io.client ?? createClient({ baseUrl: opts.baseUrl, apiKey: opts.apiKey, apiSecret: opts.apiSecret, connections: opts.concurrency, timeoutMs: opts.timeoutMs }));

  const stopper = new AbortController();
  const onExternalStop = (): void => stop(String(io.stop?.reason ?? 'stopped'));
  io.stop?.addEventListener('abort', onExternalStop, { once: true });
  function stop(reason: string): void {
    if (stopper.signal.aborted) return;
    summary.aborted = true;
    summary.abortReason = reason;
    stopper.abort(reason);
  }

  const fail = async (row: number, values: readonly string[], code: ErrorCode, message: string): Promise<void> => {
    countFailure(summary, code);
    io.log.info({ row, error: code }, `row ${row}: ${code}: ${message}`);
    await failures.write({ row, values, code, message });
  };

  const record = async (r: SendResult): Promise<void> => {
    switch (r.kind) {
      case 'created':
      case 'existing':
        summary[r.kind]++;
        await results!.write(r);
        return;
      case 'failed':
        return fail(r.row, r.values, r.code, r.message);
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

  const queue = new PQueue({ concurrency: opts.concurrency });
  const ctx: SenderContext | undefined = client && {
    client,
    pacer: new RatePacer(opts.rate),
    keyLock: new KeyLock(),
    inboxId: opts.inboxId,
    baseUrl: opts.baseUrl,
    retries: opts.retries,
    stop: stopper.signal,
    stats: summary,
    onRetry: (row, c, delay) => io.log.debug({ row, error: c.code, delayMs: delay }, `row ${row}: ${c.message}; retrying in ${delay} ms`),
  };
  let writeError: unknown;
  const everyMs = io.progressEveryMs ?? 10_000;
  const stopProgress =
    everyMs > 0 ? startProgress({ summary, bytesRead: source.bytesRead, fileBytes: statSync(opts.file).size }, io.say, everyMs) : () => {};

  try {
    for await (const rec of source.records) {
      if (stopper.signal.aborted) break;
      summary.rows++;
      if (rec.kind === 'malformed') {
        summary.invalid++;
        await fail(rec.row, rec.values, 'malformed_row', rec.message);
        continue;
      }
      if (isBlank(rec.values)) {
        summary.skipped++;
        continue;
      }
      const v = validateContact(extractRow(rec.values, mapping));
      if (!v.ok) {
        summary.invalid++;
        await fail(rec.row, rec.values, v.code, v.message);
        continue;
      }
      summary.valid++;
      if (!ctx) continue;
      // Backpressure: read the next row only when the queue has room, so memory holds about
      // 2 × concurrency rows however large the file.
      await queue.onSizeLessThan(opts.concurrency);
      if (stopper.signal.aborted) {
        summary.notSent++;
        break;
      }
      const row = { row: rec.row, line: rec.line, values: rec.values, contact: v.contact };
      queue
        .add(async () => record(await sendRow(row, ctx)))
        .catch((e: unknown) => {
          writeError ??= e;
          stop(`cannot write an output file: ${(e as Error).message}`);
        });
    }
  } finally {
    stopProgress();
    source.close();
    await queue.onIdle();
    await client?.close();
    await failures.close();
    await results?.close();
    io.stop?.removeEventListener('abort', onExternalStop);
  }
  if (writeError) throw writeError;

  summary.durationMs = Math.round(performance.now() - started);
  if (opts.summary) writeSummaryJson(opts.summary, summary);
  io.say(formatSummary(summary));
  const exitCode = summary.aborted ? 3 : summary.failed > 0 ? 1 : 0;
  return { summary, exitCode };
}

// Progress, so a long run is never silent. On a terminal: a cli-progress bar on stderr, redrawn
// at most `fps` times a second. Off a terminal: a plain line every few seconds (10 s in the CLI).
// `quiet`: nothing. Either way it only reads the running summary's counters and the source's
// byte count, from a timer: nothing here runs per row.
import { createRequire } from 'node:module';
import type { GenericFormatter } from 'cli-progress';
import type { Summary } from './sinks/summary.js';

export interface ProgressSource {
  summary: Summary;
  /** Bytes read from the input so far: the share of the file read, with no second pass. */
  bytesRead: () => number;
  fileBytes: number;
}

export interface ProgressOptions {
  /** Draw the bar (the caller checked that `stream` is a terminal). Default false: plain lines. */
  tty?: boolean;
  /** No progress output at all. */
  quiet?: boolean;
  /** Where the bar goes; default process.stderr. Plain lines always go through `say`. */
  stream?: NodeJS.WritableStream & { columns?: number };
  /** Bar redraws per second; default 5. */
  fps?: number;
}

/** Stops the progress output; the bar's line is finished so what follows starts on a new line. Idempotent. */
export type StopProgress = () => void;

/** The numbers a progress display shows, taken from the running summary. */
export interface ProgressSnapshot {
  dryRun: boolean;
  /** Share of the file read, 0..1; 0 when the size is unknown (a pipe: see `sized`). */
  share: number;
  /** False when the input's size is unknown (standard input, a FIFO): no share, bar or ETA. */
  sized: boolean;
  rows: number;
  /** Rows with an outcome (a dry run: rows checked). */
  done: number;
  created: number;
  /** Already in LiveDesk, or updated (--on-existing). */
  existing: number;
  failed: number;
  valid: number;
}

export function snapshot(p: ProgressSource): ProgressSnapshot {
  const s = p.summary;
  const existing = s.existing + s.updated + s.unchanged;
  const settled = s.created + existing + s.wouldCreate + s.wouldUpdate + s.conflict + s.failed + s.skipped + s.notSent;
  // A dry run without look-ups settles every row as it is read; with look-ups (or live) a row is
  // done when its outcome is counted.
  const done = s.dryRun && s.requests === 0 ? s.rows : settled;
  const sized = p.fileBytes > 0;
  const share = sized ? Math.min(1, p.bytesRead() / p.fileBytes) : 0;
  return { dryRun: s.dryRun, share, sized, rows: s.rows, done, created: s.created, existing, failed: s.failed, valid: s.valid };
}

/**
 * Seconds left, or undefined while unknown. The rows still to do are estimated from the share of
 * the file read (rows read ÷ share = rows in the file), so no second pass over the file is needed.
 */
export function etaSeconds(snap: ProgressSnapshot, rowsPerSecond: number): number | undefined {
  if (!snap.sized || !(rowsPerSecond > 0) || snap.rows === 0 || snap.share <= 0) return undefined;
  const total = snap.share >= 1 ? snap.rows : snap.rows / snap.share;
  return Math.max(0, total - snap.done) / rowsPerSecond;
}

/** 75 → "1m 15s", 3725 → "1h 02m", undefined → "–". */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** 1234567 → "1,234,567" (fixed, not the locale's: the same on every machine). */
export function groupDigits(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** The plain line printed off a terminal. */
export function formatProgress(p: ProgressSource, elapsedMs: number): string {
  const snap = snapshot(p);
  const rate = elapsedMs > 0 ? (snap.done / elapsedMs) * 1000 : 0;
  const eta = etaSeconds(snap, rate);
  const outcome = snap.dryRun
    ? `${snap.valid} valid, ${snap.failed} invalid`
    : `${snap.created + snap.existing} in LiveDesk, ${snap.failed} failed`;
  return (
    `progress: ${snap.sized ? `${(100 * snap.share).toFixed(0)}% of the file read, ` : ''}${snap.rows} rows read, ${snap.done} done (${outcome}), ${rate.toFixed(1)} rows/s` +
    (eta === undefined ? '' : `, about ${formatDuration(eta)} left`)
  );
}

const BAR_MAX = 24;
const BAR_MIN = 8;

/** A bar of `size` cells, `share` of them full. */
export function drawBar(share: number, size: number): string {
  const full = Math.round(Math.min(1, Math.max(0, share)) * size);
  return '\u2588'.repeat(full) + '\u2591'.repeat(size - full);
}

/**
 * The bar's line, fitted to `width` columns: the bar takes what the numbers leave (up to 24
 * cells) and goes first when the terminal is narrow; then the least useful numbers are dropped.
 */
export function formatBarLine(snap: ProgressSnapshot, rowsPerSecond: number, eta: number | undefined, width: number): string {
  const parts = [
    snap.sized ? `${String(Math.floor(100 * snap.share)).padStart(3)}% read` : 'reading a stream',
    `${groupDigits(snap.done)} rows done`,
    `${groupDigits(rowsPerSecond)} rows/s`,
    `ETA ${formatDuration(eta)}`,
    snap.dryRun ? `${groupDigits(snap.valid)} valid` : `${groupDigits(snap.created)} created`,
    snap.existing > 0 ? `${groupDigits(snap.existing)} existing` : '',
    `${groupDigits(snap.failed)} ${snap.dryRun ? 'invalid' : 'failed'}`,
  ];
  const text = (): string => parts.filter((x) => x !== '').join(' | ');
  // Narrow terminal: drop the existing count, then the ETA, then the rate.
  for (const i of [5, 3, 2]) {
    if (text().length + 1 + BAR_MIN <= width) break;
    parts[i] = '';
  }
  const line = text();
  const barSize = Math.min(BAR_MAX, width - line.length - 1);
  if (snap.sized && barSize >= BAR_MIN) return `${drawBar(snap.share, barSize)} ${line}`;
  return line.length <= width ? line : line.slice(0, Math.max(0, width));
}

/** Rows a second over the last few seconds (a run's speed changes; the average since start lags). */
export class RateWindow {
  private readonly samples: Array<{ t: number; done: number }> = [];

  constructor(private readonly windowMs = 5000) {}

  add(t: number, done: number): number {
    this.samples.push({ t, done });
    while (this.samples.length > 2 && t - this.samples[0]!.t > this.windowMs) this.samples.shift();
    const first = this.samples[0]!;
    return t > first.t ? ((done - first.done) / (t - first.t)) * 1000 : 0;
  }
}

// cli-progress is loaded only when a bar is drawn: off a terminal (cron, CI, the tests) it would
// only add to the time before the first request.
const requireCjs = createRequire(import.meta.url);
const loadCliProgress = (): typeof import('cli-progress') => requireCjs('cli-progress') as typeof import('cli-progress');

const ESC_SAVE_CURSOR = '\x1B7';
const ESC_RESTORE_CURSOR = '\x1B8';

/**
 * The bar's output stream. cli-progress saves the cursor position when the bar starts and jumps
 * back to it when it stops; anything written in between (a warning, the Ctrl-C notice) would then
 * be overwritten by the summary. This wrapper drops those two sequences, so stop() just finishes
 * the bar's current line.
 */
function barStream(out: NodeJS.WritableStream & { columns?: number }): NodeJS.WritableStream {
  const wrapper = {
    isTTY: true,
    get columns(): number | undefined {
      return out.columns;
    },
    write(chunk: string): boolean {
      if (chunk === ESC_SAVE_CURSOR || chunk === ESC_RESTORE_CURSOR) return true;
      return out.write(chunk);
    },
  };
  return wrapper as unknown as NodeJS.WritableStream;
}

/** The bar appears this long after the start: the first requests go out first, and a run that
 *  is over by then (a small file) prints no bar at all, only its summary. */
export const BAR_DELAY_MS = 250;

function startBar(p: ProgressSource, stream: NodeJS.WritableStream & { columns?: number }, fps: number): StopProgress {
  const started = performance.now();
  const window = new RateWindow();
  const format: GenericFormatter = (_options, params) => {
    const snap = snapshot(p);
    const rate = window.add(performance.now() - started, snap.done);
    const eta = performance.now() - started < 1000 ? undefined : etaSeconds(snap, rate);
    // One column spare: a line exactly as wide as the terminal leaves the cursor past its end.
    return formatBarLine(snap, rate, eta, Math.max(20, params.maxWidth - 1));
  };
  let bar: import('cli-progress').SingleBar | undefined;
  let stopped = false;
  const show = setTimeout(() => {
    const { SingleBar } = loadCliProgress();
    bar = new SingleBar({
      stream: barStream(stream),
      format,
      fps,
      // No terminal state to restore if the process dies mid-run: the cursor stays visible and
      // line wrapping stays on (long lines are cut to the width instead).
      hideCursor: false,
      linewrap: true,
      // Ctrl-C is the CLI's business (finish the requests in flight, then print the summary).
      gracefulExit: false,
      clearOnComplete: false,
      stopOnComplete: false,
    });
    // The value and total are unused (the formatter reads the summary), but start() wants them.
    bar.start(1, 0);
  }, BAR_DELAY_MS);
  show.unref();
  return () => {
    if (stopped) return;
    stopped = true;
    clearTimeout(show);
    bar?.stop(); // final draw, then a newline: the summary starts on a line of its own
  };
}

/**
 * Starts the progress output; returns the function that stops it. The pipeline calls
 * `startProgress({summary, bytesRead, fileBytes}, say, everyMs, {tty, quiet})` and the returned
 * function once it is done (in a `finally`).
 */
export function startProgress(p: ProgressSource, say: (line: string) => void, everyMs = 10_000, options: ProgressOptions = {}): StopProgress {
  if (options.quiet) return () => {};
  if (options.tty) return startBar(p, options.stream ?? process.stderr, options.fps ?? 5);
  const started = performance.now();
  const timer = setInterval(() => say(formatProgress(p, performance.now() - started)), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

// A plain progress line every few seconds on stderr, so a long run is never silent. It reads the
// running summary; it never touches rows.
import type { Summary } from './sinks/summary.js';

export interface ProgressSource {
  summary: Summary;
  bytesRead: () => number;
  fileBytes: number;
}

export function formatProgress(p: ProgressSource, elapsedMs: number): string {
  const s = p.summary;
  const done = s.created + s.existing + s.failed + s.skipped;
  const share = p.fileBytes > 0 ? Math.min(100, (100 * p.bytesRead()) / p.fileBytes) : 100;
  const rate = elapsedMs > 0 ? (done / elapsedMs) * 1000 : 0;
  return `progress: ${share.toFixed(0)}% of the file read, ${s.rows} rows read, ${done} done (${s.created + s.existing} in LiveDesk, ${s.failed} failed), ${rate.toFixed(1)} rows/s`;
}

/** Starts the periodic line; returns the function that stops it. */
export function startProgress(p: ProgressSource, say: (line: string) => void, everyMs = 10_000): () => void {
  const started = performance.now();
  const timer = setInterval(() => say(formatProgress(p, performance.now() - started)), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

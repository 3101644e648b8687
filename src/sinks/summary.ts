// The run's totals: printed for people at the end, written as JSON for scripts (--summary).
import { writeFileSync } from 'node:fs';
import type { ErrorCode } from '../types.js';

export interface Summary {
  /** Data rows read from the input (header not counted). */
  rows: number;
  created: number;
  /** Already in LiveDesk (found after an ambiguous retry). */
  existing: number;
  failed: number;
  /** Rows whose every cell is empty: nothing to import, written to neither file. */
  skipped: number;
  /** Rows read but not sent because the run stopped early. */
  notSent: number;
  /** Dry run: rows that would be sent. Live run: rows that passed validation. */
  valid: number;
  /** Rows that failed before sending (malformed or invalid data). */
  invalid: number;
  byError: Partial<Record<ErrorCode, number>>;
  requests: number;
  retries: number;
  durationMs: number;
  dryRun: boolean;
  aborted: boolean;
  abortReason?: string;
  results?: string;
  failures: string;
}

export function emptySummary(dryRun: boolean, failures: string, results?: string): Summary {
  return {
    rows: 0,
    created: 0,
    existing: 0,
    failed: 0,
    skipped: 0,
    notSent: 0,
    valid: 0,
    invalid: 0,
    byError: {},
    requests: 0,
    retries: 0,
    durationMs: 0,
    dryRun,
    aborted: false,
    failures,
    ...(results === undefined ? {} : { results }),
  };
}

export function countFailure(s: Summary, code: ErrorCode): void {
  s.failed++;
  s.byError[code] = (s.byError[code] ?? 0) + 1;
}

/** Exit status for scripts: 0 all good, 1 some rows failed, 3 aborted (2 is bad usage, earlier). */
export function exitCodeFor(s: Summary): 0 | 1 | 3 {
  if (s.aborted) return 3;
  return s.failed > 0 ? 1 : 0;
}

export function formatSummary(s: Summary): string {
  const lines: string[] = [];
  const secs = (s.durationMs / 1000).toFixed(1);
  if (s.dryRun) {
    lines.push(`Dry run: ${s.rows} rows read, ${s.valid} valid, ${s.failed} invalid, ${s.skipped} empty (skipped) in ${secs} s. Nothing was sent.`);
  } else {
    const rate = s.durationMs > 0 ? Math.round((s.created + s.existing) / (s.durationMs / 1000)) : 0;
    lines.push(
      `${s.rows} rows read: ${s.created} created, ${s.existing} already existed, ${s.failed} failed, ${s.skipped} empty (skipped), ${s.notSent} not sent.`,
    );
    lines.push(`${s.requests} requests, ${s.retries} retries, ${secs} s (${rate} contacts/s).`);
  }
  const codes = Object.entries(s.byError).sort((a, b) => b[1] - a[1]);
  if (codes.length > 0) lines.push('Failures by reason: ' + codes.map(([c, n]) => `${c} ${n}`).join(', '));
  if (s.aborted) lines.push(`Stopped early: ${s.abortReason ?? 'aborted'}. ${s.notSent} rows read were not sent; they are in neither output file.`);
  if (s.results) lines.push(`Results:  ${s.results}`);
  lines.push(`Failures: ${s.failures}${s.failed === 0 ? ' (no failed rows)' : ''}`);
  return lines.join('\n');
}

export function writeSummaryJson(path: string, s: Summary): void {
  writeFileSync(path, JSON.stringify(s, null, 2) + '\n', { mode: 0o600 });
}

// The run's totals: printed for people at the end, written as JSON for scripts (--summary).
import { writePrivateFile } from './private-file.js';
import { isDataError, type ErrorCode } from '../errors.js';
import type { Outcome } from '../types.js';

export interface Summary {
  /** Data rows read from the input (header not counted). */
  rows: number;
  created: number;
  /** Already in LiveDesk: recorded with its ID (--on-existing skip, or our own earlier request). */
  existing: number;
  /** Already in LiveDesk and updated with the row's fields (--on-existing update). */
  updated: number;
  /** Not sent: the state store knows LiveDesk holds them with these very fields (--full sends them). */
  unchanged: number;
  /** Dry run with --check-existing: rows LiveDesk does not have yet. */
  wouldCreate: number;
  /** Dry run with a state store: known contacts whose fields changed (updated with --on-existing update). */
  wouldUpdate: number;
  /** Contacts the state store knows for this inbox that this run's file no longer has (never deleted from LiveDesk). */
  missingFromFile?: number;
  /** Where the state store is, when one was used. */
  state?: string;
  /**
   * Dry run with --check-existing: rows whose email, phone or identifier another contact holds,
   * a contact that disagrees with the row on another key (the results file's note names it).
   */
  conflict: number;
  /** Created (or found) without the row's phone number: another contact holds it (--phone-taken omit). */
  phoneLeftOut: number;
  failed: number;
  /** Rows whose every cell is empty: nothing to import, written to neither file. */
  skipped: number;
  /** Rows whose role column (a Zendesk users export) says agent or admin: staff, imported as contacts all the same. */
  staffRows?: number;
  /** Malformed rows that covered more than one line of the file, and the one that covered most. */
  multiLineMalformed?: { rows: number; row: number; lines: number };
  /** Lines before the header row that were skipped (a preamble: LinkedIn's "Notes:"). */
  skippedBeforeHeader?: number;
  /** Lines after the last row that were skipped: a known export's footer (Salesforce's "Grand Totals"). */
  skippedFooter?: number;
  /** invalid_phone rows with nothing else wrong: --invalid-phone omit would create them without the phone. */
  phoneOnly?: number;
  /** Rows whose invalid phone number was left out, the rest sent (--invalid-phone omit). */
  invalidPhoneLeftOut?: number;
  /** Rows read but not sent because the run stopped early. */
  notSent: number;
  /** Dry run: rows that would be sent. Live run: rows that passed validation. */
  valid: number;
  /** Rows that failed before sending (malformed or invalid data). */
  invalid: number;
  byError: Partial<Record<ErrorCode, number>>;
  /** The first few failed rows of each reason (row and message), for people to see what to fix. */
  examples: Partial<Record<ErrorCode, Array<{ row: number; message: string }>>>;
  requests: number;
  retries: number;
  durationMs: number;
  dryRun: boolean;
  /** Rows whose outcome came from the journal of the run this one resumed. */
  resumedRows: number;
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
    updated: 0,
    unchanged: 0,
    wouldCreate: 0,
    wouldUpdate: 0,
    conflict: 0,
    phoneLeftOut: 0,
    failed: 0,
    skipped: 0,
    notSent: 0,
    valid: 0,
    invalid: 0,
    byError: {},
    examples: {},
    requests: 0,
    retries: 0,
    durationMs: 0,
    dryRun,
    resumedRows: 0,
    aborted: false,
    failures,
    ...(results === undefined ? {} : { results }),
  };
}

const EXAMPLES_PER_REASON = 3;

/** The one place rows are counted: every outcome, once. `row`: the number the examples show (see Outputs.shownRow). */
export function count(s: Summary, o: Outcome, row: number = o.row): void {
  s.rows++;
  switch (o.kind) {
    case 'created':
    case 'existing':
    case 'updated':
    case 'unchanged':
      s[o.kind]++;
      if (o.leftOut === 'phone_number') s.phoneLeftOut++;
      s.valid++;
      return;
    case 'would_create':
      s.wouldCreate++;
      s.valid++;
      return;
    case 'would_update':
      s.wouldUpdate++;
      s.valid++;
      return;
    case 'conflict':
      s.conflict++;
      s.valid++;
      return;
    case 'valid':
      s.valid++;
      return;
    case 'notSent':
      s.notSent++;
      s.valid++;
      return;
    case 'skipped':
      s.skipped++;
      return;
    case 'failed': {
      // Found in the file (malformed, invalid, a repeat) or refused when sent.
      if (isDataError(o.code)) s.invalid++;
      else s.valid++;
      s.failed++;
      s.byError[o.code] = (s.byError[o.code] ?? 0) + 1;
      if (o.phoneOnly) s.phoneOnly = (s.phoneOnly ?? 0) + 1;
      if (o.lines !== undefined && o.lines > 1) {
        const m = (s.multiLineMalformed ??= { rows: 0, row, lines: o.lines });
        m.rows++;
        if (o.lines > m.lines) Object.assign(m, { row, lines: o.lines });
      }
      const list = (s.examples[o.code] ??= []);
      if (list.length < EXAMPLES_PER_REASON) list.push({ row, message: o.message });
      return;
    }
  }
}

export function formatSummary(s: Summary): string {
  const lines: string[] = [];
  const secs = (s.durationMs / 1000).toFixed(1);
  if (s.dryRun) {
    lines.push(`Dry run: ${s.rows} rows read, ${s.valid} valid, ${s.failed} invalid, ${s.skipped} empty (skipped) in ${secs} s. Nothing was created.`);
    if (s.requests > 0) {
      const conflicts = s.conflict ? `, ${s.conflict} would conflict with another contact (see the note column)` : '';
      lines.push(`Checked in LiveDesk (${s.requests} look-ups): ${s.wouldCreate} would be created, ${s.existing} already exist (IDs in the results file)${conflicts}.`);
    } else if (s.state !== undefined) {
      lines.push(
        `By the state store (no request sent): ${s.unchanged} unchanged since the last run, ${s.wouldUpdate} known with changed fields (updated with --on-existing update), ` +
          `${s.valid - s.unchanged - s.wouldUpdate} not known (created, unless LiveDesk has them).`,
      );
    }
  } else {
    const sent = s.created + s.existing + s.updated;
    const rate = s.durationMs > 0 ? Math.round(sent / (s.durationMs / 1000)) : 0;
    const parts = [`${s.created} created`];
    if (s.existing) parts.push(`${s.existing} already in LiveDesk`);
    if (s.updated) parts.push(`${s.updated} updated`);
    if (s.unchanged) parts.push(`${s.unchanged} unchanged`);
    parts.push(`${s.failed} failed`);
    if (s.skipped) parts.push(`${s.skipped} empty (skipped)`);
    if (s.notSent) parts.push(`${s.notSent} not sent`);
    lines.push(`${s.rows} rows read: ${parts.join(', ')}.`);
    if (s.phoneLeftOut) lines.push(`(${s.phoneLeftOut} created without their phone number: another contact holds it; see the note column of the results file.)`);
    if (s.resumedRows) lines.push(`(${s.resumedRows} of these rows were finished by the earlier run this one resumed.)`);
    if (s.unchanged) lines.push(`${s.unchanged} unchanged: LiveDesk holds these fields already, nothing was sent${s.state !== undefined ? ' (the state store does not see edits or deletions made inside LiveDesk: --full checks every row against it)' : ''}.`);
    if (s.missingFromFile) lines.push(`The state store knows ${s.missingFromFile} contacts of this inbox that no row of this file led to (kept in LiveDesk, never deleted).`);
    lines.push(`${s.requests} ${s.requests === 1 ? 'request' : 'requests'}, ${s.retries} ${s.retries === 1 ? 'retry' : 'retries'}, ${secs} s (${rate} contacts/s).`);
  }
  const codes = (Object.entries(s.byError) as Array<[ErrorCode, number]>).sort((a, b) => b[1] - a[1]);
  if (codes.length > 0) {
    lines.push(`${s.dryRun ? 'Invalid rows' : 'Failed rows'} by reason:`);
    for (const [code, n] of codes) {
      lines.push(`  ${code}: ${n}`);
      for (const e of s.examples[code] ?? []) lines.push(`    row ${e.row}: ${e.message.length > 160 ? e.message.slice(0, 160) + '…' : e.message}`);
    }
  }
  if (s.multiLineMalformed) {
    const m = s.multiLineMalformed;
    lines.push(`${m.rows} malformed ${m.rows === 1 ? 'row' : 'rows'} covered more than one line of the file (row ${m.row}: ${m.lines} lines); ${m.rows === 1 ? 'its text is' : 'their text is'} in the failures file.`);
  }
  if (s.skippedBeforeHeader) lines.push(`Skipped ${s.skippedBeforeHeader} ${s.skippedBeforeHeader === 1 ? 'line' : 'lines'} before the header.`);
  if (s.skippedFooter) lines.push(`Skipped ${s.skippedFooter} footer ${s.skippedFooter === 1 ? 'line' : 'lines'} after the last row (the export's totals and notices).`);
  if (s.staffRows) lines.push(`${s.staffRows} ${s.staffRows === 1 ? 'row has' : 'rows have'} role agent or admin (the exporting product's staff, not customers): imported as contacts like the others.`);
  if (s.invalidPhoneLeftOut) {
    const n = s.invalidPhoneLeftOut;
    lines.push(
      s.dryRun
        ? `${n} ${n === 1 ? 'row' : 'rows'} would be sent without ${n === 1 ? 'its' : 'their'} phone number, which is not valid (--invalid-phone omit).`
        : `${n} ${n === 1 ? 'row' : 'rows'} sent without ${n === 1 ? 'its' : 'their'} phone number, which was not valid (--invalid-phone omit); the results file's note says why.`,
    );
  }
  if (s.dryRun && s.phoneOnly) {
    const n = s.phoneOnly;
    lines.push(`${n} ${n === 1 ? 'row fails' : 'rows fail'} only for the phone number: --invalid-phone omit would create ${n === 1 ? 'it' : 'them'} without it (the results file's note says so).`);
  }
  const dups = s.byError.duplicate_in_file ?? 0;
  if (s.dryRun) lines.push(dups > 0 ? `Duplicates found in the file: ${dups} rows repeat an earlier row's email, phone or identifier.` : 'No duplicates in the file.');
  if (s.aborted) lines.push(`Stopped early: ${s.abortReason ?? 'aborted'}. Rows not sent yet are in neither output file.`);
  if (s.results) lines.push(`Results:  ${s.results}`);
  lines.push(`Failures: ${s.failures}${s.failed === 0 ? ' (no failed rows)' : ''}`);
  return lines.join('\n');
}

/**
 * A resumed run starts from what the stopped run's journal holds, so the summary describes the
 * whole job: its rows, created, existing, updated and failed, and of those rows which were
 * valid and which invalid (an invalid row's failure code says it was decided from the file).
 */
export function restoreSummary(s: Summary, r: { done: { size: number }; counts: Record<'created' | 'existing' | 'updated' | 'unchanged' | 'failed', number>; byError: Summary['byError'] }): void {
  let invalid = 0;
  for (const [code, n] of Object.entries(r.byError) as Array<[ErrorCode, number]>) if (isDataError(code)) invalid += n;
  Object.assign(s, {
    created: r.counts.created,
    existing: r.counts.existing,
    updated: r.counts.updated,
    unchanged: r.counts.unchanged,
    failed: r.counts.failed,
    rows: r.done.size,
    resumedRows: r.done.size,
    invalid,
    valid: r.done.size - invalid,
  });
  s.byError = { ...r.byError };
}

export function writeSummaryJson(path: string, s: Summary): void {
  // A new 0600 file renamed into place: never through a link, never keeping an older file's mode.
  writePrivateFile(path, JSON.stringify(s, null, 2) + '\n');
}

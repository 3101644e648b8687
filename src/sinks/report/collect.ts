// The report's collecting half: ReportCollector, fed row by row by the pipeline, keeps only
// bounded samples (a few values per field, the first problem rows, counts by code), so a file of
// millions of rows costs the same memory and gives a page of the same size as a small one.
// finish() hands what it kept to render.ts as plain data.

/** How many problem rows the page shows; the failures file has all of them. */
export const REPORT_MAX_PROBLEM_ROWS = 200;
/** Distinct sample values kept per mapped field. */
export const REPORT_MAX_SAMPLES = 5;
/** A problem row's cell is clipped to this many characters: enough to see what is wrong. */
export const REPORT_MAX_CELL_CHARS = 200;
/** Wider files show their mapped columns first, then others up to this many. */
export const REPORT_MAX_COLUMNS = 40;

const MAX_SAMPLE_CHARS = 80;
const MAX_MESSAGE_CHARS = 500;
const MAX_HEADER_CHARS = 100;
const MAX_IGNORED_LISTED = 100;
// Codes come from our own fixed list, but the collector must stay bounded whatever it is fed.
const MAX_CODES = 64;
const OTHER_CODE = 'other';

export interface ReportMappingEntry {
  /** The LiveDesk field (`name`, `email`, …, or `custom_attributes.plan`). */
  field: string;
  /** Header names feeding it, in the order they are tried or joined; empty when none. */
  columns: string[];
  /** How the columns combine, in words: `joined`, `first non-empty`, `column`. */
  how: string;
}

/**
 * How the input was read: a CSV file's encoding and delimiter, or a workbook's sheet. The source
 * stage's SourceFormat fits as it is (typed here by shape, so the report does not move with it).
 */
export type ReportSource = { kind: 'csv'; encoding: string; delimiter: string } | { kind: 'xlsx'; sheet: string };

export interface ReportInfo {
  file: string;
  header: string[];
  source: ReportSource;
  dryRun: boolean;
  mapping: ReportMappingEntry[];
  /** Header names that feed nothing. */
  ignored: string[];
  /** The product export recognised in the header (`HubSpot export`), when one was. */
  preset?: string;
}

export interface ReportProblemInput {
  row: number;
  values: readonly string[];
  code: string;
  message: string;
  /** Header index of the offending cell, when known. */
  column?: number;
}

/** The counts the report shows; the pipeline's Summary fits this shape as it is. */
export interface ReportSummary {
  rows: number;
  created: number;
  existing: number;
  updated: number;
  /** Settled by the state store, nothing sent (optional: older summaries lack it). */
  unchanged?: number;
  failed: number;
  skipped: number;
  notSent: number;
  valid: number;
  invalid: number;
  wouldCreate: number;
  /** Dry-run check: rows a contact that disagrees with them holds a key of (optional: older summaries lack it). */
  conflict?: number;
  byError: Partial<Record<string, number>>;
  durationMs: number;
  dryRun: boolean;
  requests?: number;
  aborted?: boolean;
  abortReason?: string;
  failures?: string;
  results?: string;
}

export interface ReportProblemRow {
  row: number;
  code: string;
  message: string;
  /** Values of the shown columns (ReportData.columns), clipped. */
  cells: string[];
  /** Position in `cells` of the offending cell; -1 when unknown or not shown. */
  bad: number;
  /** Header name of the offending column when known (shown or not). */
  badColumn?: string;
}

export interface ReportData {
  info: {
    file: string;
    source: ReportSource;
    dryRun: boolean;
    preset?: string;
    columnCount: number;
    ignored: string[];
    ignoredMore: number;
  };
  summary: ReportSummary;
  /** Mapping rows with up to REPORT_MAX_SAMPLES sample values each. */
  mapping: Array<ReportMappingEntry & { samples: string[] }>;
  /** The header columns the problem table shows, in header order. */
  columns: Array<{ index: number; name: string }>;
  /** Header columns left out of the problem table (wide files only). */
  hiddenColumns: number;
  problems: ReportProblemRow[];
  /** Every problem fed to the collector, shown or not. */
  problemCount: number;
  /** Failed rows by code, largest first: the chart. */
  byReason: Array<{ code: string; count: number }>;
  /** ISO 8601. */
  generatedAt: string;
}

/** Cuts a string to at most `max` UTF-16 units without splitting a surrogate pair; marks the cut. */
function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max - 1;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return s.slice(0, end) + '…';
}

/**
 * Which header columns the problem table shows. Every column when there are few; otherwise the
 * mapped ones (where the offending cells are) and then the first others, so the page stays
 * bounded even for a 1,000-column export.
 */
function chooseColumns(header: readonly string[], mapping: readonly ReportMappingEntry[]): number[] {
  if (header.length <= REPORT_MAX_COLUMNS) return header.map((_, i) => i);
  const picked = new Set<number>();
  for (const m of mapping) {
    for (const name of m.columns) {
      const i = header.indexOf(name);
      if (i !== -1 && picked.size < REPORT_MAX_COLUMNS) picked.add(i);
    }
  }
  for (let i = 0; i < header.length && picked.size < REPORT_MAX_COLUMNS; i++) picked.add(i);
  return [...picked].sort((a, b) => a - b);
}

function copySource(s: ReportSource): ReportSource {
  return s.kind === 'csv' ? { kind: 'csv', encoding: s.encoding, delimiter: s.delimiter } : { kind: 'xlsx', sheet: clip(s.sheet, MAX_HEADER_CHARS) };
}

export class ReportCollector {
  private readonly info: ReportInfo;
  private readonly shown: number[];
  /** Header index → position in `shown` (or undefined). */
  private readonly shownAt = new Map<number, number>();
  private readonly sampleFields: string[];
  private readonly samples = new Map<string, string[]>();
  private fullFields = 0;
  private readonly problems: ReportProblemRow[] = [];
  private problemCount = 0;
  private readonly byCode = new Map<string, number>();

  constructor(info: ReportInfo) {
    this.info = info;
    this.shown = chooseColumns(info.header, info.mapping);
    this.shown.forEach((h, pos) => this.shownAt.set(h, pos));
    this.sampleFields = [...new Set(info.mapping.filter((m) => m.columns.length > 0).map((m) => m.field))];
    for (const f of this.sampleFields) this.samples.set(f, []);
  }

  /** A valid row's contact: remembers a few distinct values per field. Cheap once every field is full. */
  sample(_row: number, contact: Readonly<Record<string, unknown>>): void {
    if (this.fullFields === this.sampleFields.length) return;
    for (const field of this.sampleFields) {
      const kept = this.samples.get(field)!;
      if (kept.length >= REPORT_MAX_SAMPLES) continue;
      const v = contact[field];
      if (typeof v !== 'string' || v === '') continue;
      const s = clip(v, MAX_SAMPLE_CHARS);
      if (kept.includes(s)) continue;
      kept.push(s);
      if (kept.length === REPORT_MAX_SAMPLES) this.fullFields++;
    }
  }

  /** A failed row: counted by code always, kept for the table only while there is room. */
  problem(p: ReportProblemInput): void {
    this.problemCount++;
    let code = p.code;
    if (!this.byCode.has(code) && this.byCode.size >= MAX_CODES) code = OTHER_CODE;
    this.byCode.set(code, (this.byCode.get(code) ?? 0) + 1);
    if (this.problems.length >= REPORT_MAX_PROBLEM_ROWS) return;
    const cells = this.shown.map((h) => clip(p.values[h] ?? '', REPORT_MAX_CELL_CHARS));
    const col = p.column;
    const known = col !== undefined && Number.isInteger(col) && col >= 0 && col < this.info.header.length;
    const kept: ReportProblemRow = {
      row: p.row,
      code: p.code,
      message: clip(p.message, MAX_MESSAGE_CHARS),
      cells,
      bad: known ? (this.shownAt.get(col) ?? -1) : -1,
    };
    if (known) kept.badColumn = clip(this.info.header[col] ?? '', MAX_HEADER_CHARS);
    this.problems.push(kept);
  }

  /** The data for renderReport. `now` is a seam for tests. */
  finish(summary: ReportSummary, now: Date = new Date()): ReportData {
    const fromSummary = Object.entries(summary.byError).filter((e): e is [string, number] => typeof e[1] === 'number' && e[1] > 0);
    // The summary's counts are the whole job's (a resumed run includes the earlier run's failures);
    // the collector's only this run's. Prefer the summary's when it has any.
    const counts = fromSummary.length > 0 ? fromSummary : [...this.byCode.entries()];
    const byReason = counts
      .map(([code, count]) => ({ code, count }))
      .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
    const ignored = this.info.ignored.slice(0, MAX_IGNORED_LISTED).map((h) => clip(h, MAX_HEADER_CHARS));
    return {
      info: {
        file: this.info.file,
        source: copySource(this.info.source),
        dryRun: this.info.dryRun,
        ...(this.info.preset === undefined ? {} : { preset: this.info.preset }),
        columnCount: this.info.header.length,
        ignored,
        ignoredMore: Math.max(0, this.info.ignored.length - ignored.length),
      },
      summary: { ...summary, byError: { ...summary.byError } },
      mapping: this.info.mapping.map((m) => ({
        field: m.field,
        columns: m.columns.map((c) => clip(c, MAX_HEADER_CHARS)),
        how: m.how,
        samples: [...(this.samples.get(m.field) ?? [])],
      })),
      columns: this.shown.map((index) => ({ index, name: clip(this.info.header[index] ?? '', MAX_HEADER_CHARS) })),
      hiddenColumns: this.info.header.length - this.shown.length,
      problems: this.problems.map((p) => ({ ...p, cells: [...p.cells] })),
      problemCount: this.problemCount,
      byReason,
      generatedAt: now.toISOString(),
    };
  }
}

// The HTML report (`--report FILE.html`): one self-contained page a person opens after a dry run
// or an import, to see what happened without reading CSV files.
//
// Two halves: ReportCollector, fed row by row by the pipeline, keeps only bounded samples (a few
// values per field, the first problem rows, counts by code), so a file of millions of rows costs
// the same memory and gives a page of the same size as a small one; renderReport turns what it
// kept into the page. The page holds untrusted spreadsheet content, so every value goes through
// esc(), and a Content-Security-Policy forbids any fetch or script: opening the report can never
// reach the network, even if a cell smuggled markup past escaping.

import { randomBytes } from 'node:crypto';
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';

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

export interface ReportInfo {
  file: string;
  header: string[];
  encoding: string;
  delimiter: string;
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
  failed: number;
  skipped: number;
  notSent: number;
  valid: number;
  invalid: number;
  wouldCreate: number;
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
    encoding: string;
    delimiter: string;
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
        encoding: this.info.encoding,
        delimiter: this.info.delimiter,
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

// ---------------------------------------------------------------------------------------------
// Rendering

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** HTML-escapes text for both element content and quoted attribute values. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/** Codes decided before anything is sent: the rest come from LiveDesk or the way to it. */
const DATA_CODES = new Set([
  'invalid_email',
  'invalid_phone',
  'invalid_avatar_url',
  'no_contact_data',
  'malformed_row',
  'duplicate_in_file',
]);

function delimiterName(d: string): string {
  switch (d) {
    case ',':
      return 'comma ( , )';
    case ';':
      return 'semicolon ( ; )';
    case '\t':
      return 'tab';
    case '|':
      return 'pipe ( | )';
    case '':
      // A spreadsheet (.xlsx) has cells, not a delimiter.
      return 'none (not a CSV file)';
    default:
      return JSON.stringify(d);
  }
}

function formatDate(iso: string): string {
  // "2025-06-01T14:03:07.123Z" → "2025-06-01 14:03 UTC": the same on every machine and locale.
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

function formatDuration(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

interface Tile {
  key: string;
  label: string;
  value: number;
  tone?: 'good' | 'bad' | 'muted';
}

function tiles(s: ReportSummary): Tile[] {
  const out: Tile[] = [
    { key: 'rows', label: 'rows read', value: s.rows },
    { key: 'valid', label: 'valid', value: s.valid, tone: 'good' },
    { key: 'invalid', label: 'invalid', value: s.invalid, tone: s.invalid > 0 ? 'bad' : 'muted' },
  ];
  if (!s.dryRun) {
    out.push({ key: 'created', label: 'created', value: s.created, tone: 'good' });
    out.push({ key: 'existing', label: 'already in LiveDesk', value: s.existing });
    if (s.updated > 0) out.push({ key: 'updated', label: 'updated', value: s.updated, tone: 'good' });
    // From the codes, not failed − invalid: a resumed run's invalid count is this run's only.
    let sendFailed = 0;
    for (const [code, n] of Object.entries(s.byError)) if (!DATA_CODES.has(code)) sendFailed += n ?? 0;
    if (sendFailed > 0) out.push({ key: 'send-failed', label: 'failed when sent', value: sendFailed, tone: 'bad' });
  } else if (s.wouldCreate > 0 || s.existing > 0 || (s.requests ?? 0) > 0) {
    out.push({ key: 'would-create', label: 'would be created', value: s.wouldCreate, tone: 'good' });
    out.push({ key: 'existing', label: 'already in LiveDesk', value: s.existing });
  }
  out.push({ key: 'skipped', label: 'empty rows skipped', value: s.skipped, tone: 'muted' });
  out.push({ key: 'not-sent', label: 'not sent', value: s.notSent, tone: s.notSent > 0 ? 'bad' : 'muted' });
  return out;
}

function renderTiles(s: ReportSummary): string {
  const items = tiles(s)
    .map(
      (t) =>
        `<div class="tile${t.tone ? ' ' + t.tone : ''}" id="count-${t.key}"><dt>${esc(t.label)}</dt><dd data-count="${t.key}">${fmt(t.value)}</dd></div>`,
    )
    .join('\n');
  return `<dl class="tiles">\n${items}\n</dl>`;
}

const BAR_ROW = 30;
const LABEL_W = 190;
const BAR_MAX = 430;
const CHART_W = 720;

function renderChart(byReason: ReportData['byReason']): string {
  if (byReason.length === 0) return '<p class="none">No row failed.</p>';
  const max = Math.max(...byReason.map((r) => r.count));
  const height = byReason.length * BAR_ROW + 8;
  const total = byReason.reduce((a, r) => a + r.count, 0);
  const bars = byReason
    .map((r, i) => {
      const y = 4 + i * BAR_ROW;
      const w = Math.max(2, Math.round((r.count / max) * BAR_MAX));
      const kind = DATA_CODES.has(r.code) ? 'data' : 'send';
      return (
        `<g class="bar ${kind}"><title>${esc(r.code)}: ${fmt(r.count)} rows</title>` +
        `<text class="label" x="${LABEL_W - 10}" y="${y + 19}" text-anchor="end">${esc(r.code)}</text>` +
        `<rect x="${LABEL_W}" y="${y + 4}" width="${w}" height="${BAR_ROW - 10}" rx="3"></rect>` +
        `<text class="count" x="${LABEL_W + w + 8}" y="${y + 19}">${fmt(r.count)}</text></g>`
      );
    })
    .join('\n');
  const desc = byReason.map((r) => `${r.code} ${fmt(r.count)}`).join(', ');
  const legend = byReason.some((r) => !DATA_CODES.has(r.code))
    ? '<p class="legend"><span class="key data"></span> invalid data, found before sending <span class="key send"></span> failed when sent to LiveDesk</p>'
    : '';
  return (
    `<svg class="chart" role="img" aria-labelledby="chart-title chart-desc" viewBox="0 0 ${CHART_W} ${height}" width="${CHART_W}" height="${height}">` +
    `<title id="chart-title">Failed rows by reason (${fmt(total)} in all)</title><desc id="chart-desc">${esc(desc)}</desc>\n${bars}\n</svg>${legend}`
  );
}

function renderSource(d: ReportData): string {
  const rows: Array<[string, string]> = [
    ['File', `<code>${esc(d.info.file)}</code>`],
    ['Encoding', esc(d.info.encoding)],
    ['Delimiter', esc(delimiterName(d.info.delimiter))],
    ['Columns', fmt(d.info.columnCount)],
  ];
  if (d.info.preset !== undefined) rows.push(['Recognised export', esc(d.info.preset)]);
  rows.push(['Mode', d.summary.dryRun ? 'dry run: nothing was sent' : 'import']);
  rows.push(['Duration', esc(formatDuration(d.summary.durationMs))]);
  if (d.summary.failures) rows.push(['Failures file', `<code>${esc(d.summary.failures)}</code>`]);
  if (d.summary.results) rows.push(['Results file', `<code>${esc(d.summary.results)}</code>`]);
  return `<dl class="facts">\n${rows.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join('\n')}\n</dl>`;
}

function renderMapping(d: ReportData): string {
  const body = d.mapping
    .map((m) => {
      const cols =
        m.columns.length === 0
          ? '<span class="muted">(no column)</span>'
          : m.columns.map((c) => `<span class="colname">${esc(c)}</span>`).join(m.how === 'joined' ? ' + ' : ', ');
      const samples =
        m.samples.length === 0
          ? '<span class="muted">—</span>'
          : `<ul class="samples">${m.samples.map((s) => `<li>${esc(s)}</li>`).join('')}</ul>`;
      return `<tr><th scope="row"><code>${esc(m.field)}</code></th><td>${cols}</td><td>${esc(m.columns.length === 0 ? '' : m.how)}</td><td>${samples}</td></tr>`;
    })
    .join('\n');
  const ignored =
    d.info.ignored.length === 0
      ? ''
      : `<p class="ignored"><strong>Not imported:</strong> ${d.info.ignored.map((c) => `<span class="colname">${esc(c)}</span>`).join(', ')}` +
        `${d.info.ignoredMore > 0 ? ` and ${fmt(d.info.ignoredMore)} more` : ''}</p>`;
  return (
    '<table class="mapping">\n<caption>Which columns feed each LiveDesk field, with values from valid rows</caption>\n' +
    '<thead><tr><th scope="col">Field</th><th scope="col">Column(s)</th><th scope="col">How</th><th scope="col">Sample values</th></tr></thead>\n' +
    `<tbody>\n${body}\n</tbody>\n</table>\n${ignored}`
  );
}

function renderProblems(d: ReportData): string {
  if (d.problemCount === 0) return '<p class="none">No problem rows.</p>';
  const head =
    // The reason comes right after the row number: wide exports would push it off screen.
    '<tr><th scope="col" class="rownum">Row</th><th scope="col" class="reason">Reason</th>' +
    d.columns.map((c) => `<th scope="col">${esc(c.name)}</th>`).join('') +
    '</tr>';
  const body = d.problems
    .map((p) => {
      const reason = `${p.code}: ${p.message}`;
      const cells = p.cells
        .map((v, i) => (i === p.bad ? `<td class="bad" title="${esc(reason)}">${esc(v)}</td>` : `<td>${esc(v)}</td>`))
        .join('');
      const where = p.badColumn !== undefined ? `<span class="where">column “${esc(p.badColumn)}”</span>` : '';
      return `<tr><th scope="row" class="rownum">${p.row}</th><td class="reason"><code>${esc(p.code)}</code> ${esc(p.message)}${where}</td>${cells}</tr>`;
    })
    .join('\n');
  const notes: string[] = [];
  if (d.problemCount > d.problems.length) {
    notes.push(
      `Showing the first ${fmt(d.problems.length)} of ${fmt(d.problemCount)} problem rows; all are in the failures file` +
        (d.summary.failures ? ` <code>${esc(d.summary.failures)}</code>` : '') +
        ', with the reason in its <code>_error</code> and <code>_message</code> columns.',
    );
  }
  if (d.hiddenColumns > 0) notes.push(`${fmt(d.hiddenColumns)} of the file's ${fmt(d.info.columnCount)} columns are not shown; the mapped ones are.`);
  return (
    notes.map((n) => `<p class="note">${n}</p>`).join('\n') +
    '\n<div class="scroll" role="region" aria-label="Problem rows" tabindex="0">\n<table class="problems">\n' +
    `<caption>Rows that failed: the offending cell is highlighted, with the reason beside it</caption>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>\n</div>`
  );
}

/** The highlighted cell's background: used nowhere else on the page, so a screenshot can find it. */
export const REPORT_BAD_CELL_COLOR = '#ffc9c2';

const CSS = `
:root{color-scheme:light;--fg:#1f2328;--muted:#57606a;--line:#d0d7de;--bg:#fff;--soft:#f6f8fa;--good:#1a7f37;--bad:#b3261e;--send:#6639ba;--badbg:#ffe3e0;--cellbad:${REPORT_BAD_CELL_COLOR}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",Arial,sans-serif}
main{max-width:1200px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:1.6rem;margin:0 0 4px;word-break:break-all}
h2{font-size:1.2rem;margin:32px 0 12px;padding-bottom:4px;border-bottom:1px solid var(--line)}
.sub{color:var(--muted);margin:0}
.banner{margin:14px 0 0;padding:10px 14px;border-radius:6px;background:#fff8c5;border:1px solid #d4a72c}
.banner.stopped{background:var(--badbg);border-color:var(--bad)}
code{font-family:ui-monospace,"SFMono-Regular","DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.92em}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:12px;margin:20px 0 0;padding:0}
.tile{border:1px solid var(--line);border-radius:8px;padding:12px 14px;background:var(--soft);display:flex;flex-direction:column-reverse}
.tile dt{color:var(--muted);font-size:.9rem}
.tile dd{margin:0;font-size:2rem;font-weight:700;font-variant-numeric:tabular-nums;line-height:1.15}
.tile.good dd{color:var(--good)}
.tile.bad{border-color:var(--bad);background:var(--badbg)}
.tile.bad dd{color:var(--bad)}
.tile.muted dd{color:var(--muted)}
.chart{max-width:100%;height:auto;display:block}
.chart .label{font:13px ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;fill:var(--fg)}
.chart .count{font:600 13px system-ui,"DejaVu Sans",sans-serif;fill:var(--fg)}
.chart .data rect{fill:var(--bad)}
.chart .send rect{fill:var(--send)}
.legend{color:var(--muted);font-size:.9rem}
.key{display:inline-block;width:12px;height:12px;border-radius:2px;vertical-align:-1px;margin-left:10px}
.key.data{background:var(--bad)}.key.send{background:var(--send)}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 18px;margin:0}
.facts div{display:contents}
.facts dt{color:var(--muted)}
.facts dd{margin:0;word-break:break-all}
table{border-collapse:collapse;width:100%}
caption{text-align:left;color:var(--muted);font-size:.9rem;padding-bottom:6px}
th,td{border:1px solid var(--line);padding:6px 9px;text-align:left;vertical-align:top}
thead th{background:var(--soft);font-weight:600;white-space:nowrap}
.colname{display:inline-block;background:var(--soft);border:1px solid var(--line);border-radius:4px;padding:0 5px;white-space:pre-wrap}
.samples{margin:0;padding:0;list-style:none;display:flex;flex-wrap:wrap;gap:4px}
.samples li{background:#ddf4ff;border-radius:4px;padding:0 6px;white-space:pre-wrap;word-break:break-all}
.muted,.ignored{color:var(--muted)}
.scroll{overflow-x:auto}
.scroll:focus{outline:2px solid #0969da}
/* Fit the page width by wrapping; scroll sideways only when the columns cannot shrink further. */
.problems{font-size:.9rem}
/* anywhere: one long unbroken cell (200 characters of junk) must not make its column page-wide. */
.problems td{min-width:6em;white-space:pre-wrap;overflow-wrap:anywhere}
.problems .rownum{font-variant-numeric:tabular-nums;text-align:right;background:var(--soft)}
.problems td.bad{min-width:10em;background:var(--cellbad);color:#82071e;font-weight:700;box-shadow:inset 0 0 0 2px var(--bad)}
.problems td.reason{min-width:14em;max-width:24em;background:#fffdf5}
.problems .where{display:block;color:var(--muted);font-size:.85rem}
.note{padding:8px 12px;background:#ddf4ff;border-left:4px solid #0969da;border-radius:4px}
.none{color:var(--good);font-weight:600}
footer{margin-top:40px;color:var(--muted);font-size:.85rem}
`;

/** The whole page: inline CSS and SVG, no scripts, nothing fetched (the CSP says so to the browser too). */
/** One titled section of the page; `html` is already escaped by its renderer. */
function section(id: string, title: string, html: string): string {
  return `<section aria-labelledby="h-${id}">\n<h2 id="h-${id}">${title}</h2>\n${html}\n</section>`;
}

export function renderReport(d: ReportData): string {
  const s = d.summary;
  const kind = s.dryRun ? 'Dry-run report' : 'Import report';
  const banners: string[] = [];
  if (s.dryRun) banners.push('<p class="banner">Dry run: rows were read and checked; nothing was sent to LiveDesk.</p>');
  if (s.aborted) banners.push(`<p class="banner stopped"><strong>The run stopped early:</strong> ${esc(s.abortReason ?? 'stopped')}</p>`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(kind)}: ${esc(d.info.file)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header>
<h1>${esc(kind)}: ${esc(d.info.file)}</h1>
<p class="sub">Generated <time datetime="${esc(d.generatedAt)}">${esc(formatDate(d.generatedAt))}</time> by livedesk-import</p>
${banners.join('\n')}
</header>
${section('counts', 'Counts', renderTiles(s))}
${section('chart', 'Failed rows by reason', renderChart(d.byReason))}
${section('source', 'Source', renderSource(d))}
${section('mapping', 'Mapping', renderMapping(d))}
${section('problems', 'Problem rows', renderProblems(d))}
<footer>This page is self-contained: it loads nothing from the network. It holds personal data from the input file; share it accordingly.</footer>
</main>
</body>
</html>
`;
}

/**
 * Writes the page with mode 0600 (it holds personal data). Written beside the target and renamed
 * over it, so the mode holds even when a file with looser permissions was there, and a reader
 * never sees half a page.
 */
export function writeReport(path: string, data: ReportData): void {
  const html = renderReport(data);
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, html, { mode: 0o600, flag: 'wx' });
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // Nothing to clean up: the temp file was never created or is already renamed.
    }
    throw e;
  }
}

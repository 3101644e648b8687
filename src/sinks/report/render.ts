// The report's rendering half: ReportData (collect.ts) → one self-contained HTML page. The page
// holds untrusted spreadsheet content, so every value goes through esc(), and a
// Content-Security-Policy forbids any fetch or script: opening the report can never reach the
// network, even if a cell smuggled markup past escaping.

import { ROW_ERRORS, isDataError, type ErrorCode } from '../../errors.js';
import type { ReportData, ReportSummary } from './collect.js';
import { CSS } from './styles.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** HTML-escapes text for both element content and quoted attribute values. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/** Decided before anything was sent (invalid data); every other code, known or not, failed when sent. */
function isData(code: string): boolean {
  return Object.hasOwn(ROW_ERRORS, code) && isDataError(code as ErrorCode);
}

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
    if ((s.unchanged ?? 0) > 0) out.push({ key: 'unchanged', label: 'unchanged (not sent)', value: s.unchanged ?? 0, tone: 'muted' });
    // From the codes, not failed − invalid: a resumed run's invalid count is this run's only.
    let sendFailed = 0;
    for (const [code, n] of Object.entries(s.byError)) if (!isData(code)) sendFailed += n ?? 0;
    if (sendFailed > 0) out.push({ key: 'send-failed', label: 'failed when sent', value: sendFailed, tone: 'bad' });
  } else if (s.wouldCreate > 0 || s.existing > 0 || (s.unchanged ?? 0) > 0 || (s.requests ?? 0) > 0) {
    out.push({ key: 'would-create', label: 'would be created', value: s.wouldCreate, tone: 'good' });
    out.push({ key: 'existing', label: 'already in LiveDesk', value: s.existing });
    if ((s.unchanged ?? 0) > 0) out.push({ key: 'unchanged', label: 'unchanged (not sent)', value: s.unchanged ?? 0, tone: 'muted' });
    if ((s.conflict ?? 0) > 0) out.push({ key: 'conflict', label: 'conflict with another contact', value: s.conflict ?? 0, tone: 'bad' });
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
      const kind = isData(r.code) ? 'data' : 'send';
      return (
        `<g class="bar ${kind}"><title>${esc(r.code)}: ${fmt(r.count)} rows</title>` +
        `<text class="label" x="${LABEL_W - 10}" y="${y + 19}" text-anchor="end">${esc(r.code)}</text>` +
        `<rect x="${LABEL_W}" y="${y + 4}" width="${w}" height="${BAR_ROW - 10}" rx="3"></rect>` +
        `<text class="count" x="${LABEL_W + w + 8}" y="${y + 19}">${fmt(r.count)}</text></g>`
      );
    })
    .join('\n');
  const desc = byReason.map((r) => `${r.code} ${fmt(r.count)}`).join(', ');
  const legend = byReason.some((r) => !isData(r.code))
    ? '<p class="legend"><span class="key data"></span> invalid data, found before sending <span class="key send"></span> failed when sent to LiveDesk</p>'
    : '';
  return (
    `<svg class="chart" role="img" aria-labelledby="chart-title chart-desc" viewBox="0 0 ${CHART_W} ${height}" width="${CHART_W}" height="${height}">` +
    `<title id="chart-title">Failed rows by reason (${fmt(total)} in all)</title><desc id="chart-desc">${esc(desc)}</desc>\n${bars}\n</svg>${legend}`
  );
}

function renderSource(d: ReportData): string {
  const src = d.info.source;
  const rows: Array<[string, string]> = [['File', `<code>${esc(d.info.file)}</code>`]];
  if (src.kind === 'csv') rows.push(['Encoding', esc(src.encoding)], ['Delimiter', esc(delimiterName(src.delimiter))]);
  else rows.push(['Sheet', esc(src.sheet)]);
  rows.push(['Columns', fmt(d.info.columnCount)]);
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

/** One titled section of the page; `html` is already escaped by its renderer. */
function section(id: string, title: string, html: string): string {
  return `<section aria-labelledby="h-${id}">\n<h2 id="h-${id}">${title}</h2>\n${html}\n</section>`;
}

/** The whole page: inline CSS and SVG, no scripts, nothing fetched (the CSP says so to the browser too). */
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

import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectMapping } from '../src/map/index.js';
import {
  REPORT_MAX_CELL_CHARS,
  REPORT_MAX_COLUMNS,
  REPORT_MAX_PROBLEM_ROWS,
  REPORT_MAX_SAMPLES,
  ReportCollector,
  esc,
  problemColumn,
  renderReport,
  reportMapping,
  writeReport,
  type ReportInfo,
  type ReportSummary,
} from '../src/sinks/report/index.js';
import { emptySummary } from '../src/sinks/summary.js';

const HEADER = ['First Name', 'Last Name', 'Email', 'Phone', 'Notes'];

function info(over: Partial<ReportInfo> = {}): ReportInfo {
  return {
    file: 'contacts.csv',
    header: HEADER,
    source: { kind: 'csv', encoding: 'utf-8', delimiter: ',' },
    dryRun: true,
    mapping: [
      { field: 'name', columns: ['First Name', 'Last Name'], how: 'joined' },
      { field: 'email', columns: ['Email'], how: 'column' },
      { field: 'phone_number', columns: ['Phone'], how: 'column' },
      { field: 'avatar_url', columns: [], how: 'column' },
    ],
    ignored: ['Notes'],
    ...over,
  };
}

function summary(over: Partial<ReportSummary> = {}): ReportSummary {
  return {
    rows: 0,
    created: 0,
    existing: 0,
    updated: 0,
    failed: 0,
    skipped: 0,
    notSent: 0,
    valid: 0,
    invalid: 0,
    wouldCreate: 0,
    byError: {},
    durationMs: 1234,
    dryRun: true,
    failures: 'contacts.failures.csv',
    ...over,
  };
}

const NOW = new Date('2025-06-01T14:03:07Z');

/** The <tr> of the problem table for one row number. */
function problemRow(html: string, row: number): string {
  const m = new RegExp(`<tr><th scope="row" class="rownum">${row}</th>.*?</tr>`).exec(html);
  if (!m) throw new Error(`no problem row ${row} in the page`);
  return m[0];
}

describe('ReportCollector: bounded whatever the file size', () => {
  it('keeps at most 200 problem rows and 5 samples per field over a million of each, and the page stays small', () => {
    const c = new ReportCollector(info());
    const codes = ['invalid_email', 'invalid_phone', 'no_contact_data', 'malformed_row'];
    const long = 'x'.repeat(10_000);
    for (let i = 1; i <= 1_000_000; i++) {
      c.problem({ row: i, values: ['Ana', 'Lima', `bad${i}@@example.com`, long, 'note'], code: codes[i % 4]!, message: `problem ${i}`, column: 2 });
      c.sample(i, { name: `Person ${i}`, email: `p${i}@example.com`, phone_number: `+4477009${i}` });
    }
    const d = c.finish(summary({ rows: 2_000_000, valid: 1_000_000, invalid: 1_000_000, failed: 1_000_000 }), NOW);
    expect(d.problems).toHaveLength(REPORT_MAX_PROBLEM_ROWS);
    expect(d.problemCount).toBe(1_000_000);
    expect(d.problems[0]!.row).toBe(1);
    expect(d.problems.at(-1)!.row).toBe(REPORT_MAX_PROBLEM_ROWS);
    // Clipped, so a huge cell cannot blow up the page.
    expect(d.problems[0]!.cells[3]!.length).toBeLessThanOrEqual(REPORT_MAX_CELL_CHARS);
    for (const m of d.mapping) expect(m.samples.length).toBeLessThanOrEqual(REPORT_MAX_SAMPLES);
    expect(d.mapping.find((m) => m.field === 'email')!.samples).toEqual(['p1@example.com', 'p2@example.com', 'p3@example.com', 'p4@example.com', 'p5@example.com']);
    // With no byError in the summary, the chart counts what the collector was fed: every problem.
    expect(d.byReason.reduce((a, r) => a + r.count, 0)).toBe(1_000_000);
    expect(d.byReason.map((r) => r.count)).toEqual([250_000, 250_000, 250_000, 250_000]);

    const html = renderReport(d);
    expect(Buffer.byteLength(html)).toBeLessThan(400 * 1024);
    expect(html).toContain('Showing the first 200 of 1,000,000 problem rows; all are in the failures file');
  });

  it('keeps the number of distinct codes bounded', () => {
    const c = new ReportCollector(info());
    for (let i = 0; i < 10_000; i++) c.problem({ row: i + 1, values: [], code: `code_${i}`, message: 'm' });
    const d = c.finish(summary(), NOW);
    expect(d.byReason.length).toBeLessThanOrEqual(65);
    expect(d.byReason.reduce((a, r) => a + r.count, 0)).toBe(10_000);
  });

  it('samples distinct, non-empty values, only for mapped fields, clipped', () => {
    const c = new ReportCollector(info());
    c.sample(1, { email: 'a@example.com', name: '' });
    c.sample(2, { email: 'a@example.com', name: 'Ana Lima' });
    c.sample(3, { email: undefined, name: 'y'.repeat(500), avatar_url: 'https://x.example/a.png', identifier: 'C-1' });
    const d = c.finish(summary(), NOW);
    const by = Object.fromEntries(d.mapping.map((m) => [m.field, m.samples]));
    expect(by['email']).toEqual(['a@example.com']);
    expect(by['name']).toHaveLength(2);
    expect(by['name']![0]).toBe('Ana Lima');
    expect(by['name']![1]!.length).toBeLessThanOrEqual(80);
    // avatar_url has no column, identifier is not in the mapping: nothing kept for them.
    expect(by['avatar_url']).toEqual([]);
    expect('identifier' in by).toBe(false);
  });

  it('prefers the summary\'s byError (the whole job, resumed runs included) for the chart', () => {
    const c = new ReportCollector(info());
    c.problem({ row: 1, values: [], code: 'invalid_email', message: 'm' });
    const d = c.finish(summary({ byError: { invalid_email: 3, rejected: 7 } }), NOW);
    expect(d.byReason).toEqual([
      { code: 'rejected', count: 7 },
      { code: 'invalid_email', count: 3 },
    ]);
  });

  it('accepts the pipeline\'s Summary as it is', () => {
    const s = emptySummary(true, 'x.failures.csv');
    s.rows = 3;
    const d = new ReportCollector(info()).finish(s, NOW);
    expect(d.summary.rows).toBe(3);
  });
});

describe('renderReport', () => {
  function sampleReport(over: Partial<ReportInfo> = {}) {
    const c = new ReportCollector(info(over));
    c.sample(1, { name: 'Ada Lovelace', email: 'ada@example.com', phone_number: '+447700900123' });
    c.problem({ row: 2, values: ['Bob', 'Stone', 'bob@@example', '+1 555', 'n'], code: 'invalid_email', message: 'email "bob@@example" is not a valid address: it has more than one @', column: 2 });
    c.problem({ row: 5, values: ['', '', '', '', ''], code: 'no_contact_data', message: 'row has no name, email, phone number or identifier' });
    c.problem({ row: 7, values: ['Eve', 'X', 'eve@example.com', '12345', 'n'], code: 'invalid_phone', message: 'phone "12345" is not a number', column: 3 });
    return c.finish(summary({ rows: 10, valid: 6, invalid: 3, failed: 3, skipped: 1, byError: { invalid_email: 1, no_contact_data: 1, invalid_phone: 1 } }), NOW);
  }

  it('shows the counts as tiles', () => {
    const html = renderReport(sampleReport());
    expect(html).toContain('<dd data-count="rows">10</dd>');
    expect(html).toContain('<dd data-count="valid">6</dd>');
    expect(html).toContain('<dd data-count="invalid">3</dd>');
    expect(html).toContain('<dd data-count="skipped">1</dd>');
    expect(html).toContain('<dd data-count="not-sent">0</dd>');
    // A plain dry run has nothing created; a live run shows created and existing.
    expect(html).not.toContain('data-count="created"');
    const live = renderReport({ ...sampleReport(), summary: summary({ dryRun: false, rows: 1_234_567, created: 1_200_000, existing: 34_567, byError: { rejected: 2 }, failed: 2 }) });
    expect(live).toContain('<dd data-count="rows">1,234,567</dd>');
    expect(live).toContain('<dd data-count="created">1,200,000</dd>');
    expect(live).toContain('<dd data-count="existing">34,567</dd>');
    expect(live).toContain('<dd data-count="send-failed">2</dd>');
    expect(live).toContain('Import report: contacts.csv');
    const checked = renderReport({ ...sampleReport(), summary: summary({ requests: 6, wouldCreate: 4, existing: 2 }) });
    expect(checked).toContain('<dd data-count="would-create">4</dd>');
  });

  it('highlights the offending cell with the reason as its title, and the reason in its own column', () => {
    const html = renderReport(sampleReport());
    const row2 = problemRow(html, 2);
    expect(row2).toContain('<td class="bad" title="invalid_email: email &quot;bob@@example&quot; is not a valid address: it has more than one @">bob@@example</td>');
    expect(row2.match(/class="bad"/g)).toHaveLength(1);
    expect(row2).toContain('<td class="reason"><code>invalid_email</code> email &quot;bob@@example&quot; is not a valid address');
    expect(row2).toContain('column “Email”');
    expect(problemRow(html, 7)).toContain('<td class="bad" title="invalid_phone: phone &quot;12345&quot; is not a number">12345</td>');
  });

  it('highlights nothing when the column is unknown, but still gives the reason', () => {
    const row5 = problemRow(renderReport(sampleReport()), 5);
    expect(row5).not.toContain('class="bad"');
    expect(row5).toContain('<code>no_contact_data</code> row has no name, email, phone number or identifier');
  });

  it('escapes untrusted spreadsheet content everywhere: cells, headers, file name, messages, samples', () => {
    const evil = `<script>alert("x")</script>&'`;
    const c = new ReportCollector(info({ file: `${evil}.csv`, header: [evil, 'Email'], mapping: [{ field: 'email', columns: ['Email'], how: 'column' }], ignored: [evil], preset: evil }));
    c.sample(1, { email: evil });
    c.problem({ row: 1, values: [evil, evil], code: 'invalid_email', message: evil, column: 1 });
    c.problem({ row: 2, values: [evil, 'ok'], code: evil, message: 'm' });
    const html = renderReport(c.finish(summary({ abortReason: evil, aborted: true, failures: evil }), NOW));
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
    expect(problemRow(html, 1)).toContain(`<td class="bad" title="invalid_email: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;`);
    expect(esc(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });

  it('notes when more than 200 problem rows exist, and not otherwise', () => {
    expect(renderReport(sampleReport())).not.toContain('Showing the first');
    const c = new ReportCollector(info());
    for (let i = 1; i <= 201; i++) c.problem({ row: i, values: HEADER, code: 'invalid_email', message: 'm', column: 2 });
    const html = renderReport(c.finish(summary(), NOW));
    expect(html).toContain('Showing the first 200 of 201 problem rows; all are in the failures file <code>contacts.failures.csv</code>');
    expect(html.match(/<th scope="row" class="rownum">/g)).toHaveLength(200);
  });

  it('is self-contained: no scripts, no external references, a CSP that forbids fetching', () => {
    const html = renderReport(sampleReport());
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?\/\//i);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'`);
    // The chart is inline SVG, one bar per reason with its count.
    expect(html).toMatch(/<svg class="chart" role="img"/);
    expect(html).toContain('<text class="label" x="180" y="23" text-anchor="end">invalid_email</text>');
  });

  it('lists the source and the mapping with sample values', () => {
    const html = renderReport(sampleReport({ preset: 'HubSpot export', source: { kind: 'csv', delimiter: ';', encoding: 'windows-1252' } }));
    expect(html).toContain('<dt>Encoding</dt><dd>windows-1252</dd>');
    expect(html).toContain('<dt>Delimiter</dt><dd>semicolon ( ; )</dd>');
    expect(html).toContain('<dt>Recognised export</dt><dd>HubSpot export</dd>');
    expect(html).toContain('<span class="colname">First Name</span> + <span class="colname">Last Name</span></td><td>joined</td><td><ul class="samples"><li>Ada Lovelace</li></ul>');
    expect(html).toContain('<li>+447700900123</li>');
    expect(html).toContain('<strong>Not imported:</strong> <span class="colname">Notes</span>');
    expect(html).toContain('Generated <time datetime="2025-06-01T14:03:07.000Z">2025-06-01 14:03 UTC</time>');
  });

  it('shows a workbook\'s sheet instead of an encoding and a delimiter', () => {
    const html = renderReport(sampleReport({ file: 'contacts.xlsx', source: { kind: 'xlsx', sheet: 'Q3 <leads>' } }));
    expect(html).toContain('<dt>Sheet</dt><dd>Q3 &lt;leads&gt;</dd>');
    expect(html).not.toContain('<dt>Encoding</dt>');
    expect(html).not.toContain('<dt>Delimiter</dt>');
  });

  it('counts codes it does not know as failed when sent', () => {
    const live = renderReport(new ReportCollector(info()).finish(summary({ dryRun: false, byError: { invalid_email: 2, rejected: 1, other: 4 }, failed: 7 }), NOW));
    expect(live).toContain('<dd data-count="send-failed">5</dd>');
    expect(live).toContain('<g class="bar send"><title>other: 4 rows</title>');
    expect(live).toContain('<g class="bar data"><title>invalid_email: 2 rows</title>');
  });

  it('shows the mapped columns of a very wide file, within a bound', () => {
    const header = Array.from({ length: 1000 }, (_, i) => `col${i}`);
    header[900] = 'Email';
    const c = new ReportCollector(info({ header, mapping: [{ field: 'email', columns: ['Email'], how: 'column' }], ignored: header.filter((h) => h !== 'Email') }));
    const values = header.map((_, i) => 'v'.repeat(300) + i);
    for (let i = 1; i <= 300; i++) c.problem({ row: i, values, code: 'invalid_email', message: 'm', column: 900 });
    const d = c.finish(summary(), NOW);
    expect(d.columns).toHaveLength(REPORT_MAX_COLUMNS);
    expect(d.columns.some((col) => col.name === 'Email')).toBe(true);
    expect(d.hiddenColumns).toBe(960);
    const html = renderReport(d);
    expect(problemRow(html, 1)).toContain('<td class="bad"');
    expect(html).toContain("960 of the file's 1,000 columns are not shown");
    // 200 rows × 40 columns × 200 characters is the ceiling; well under 2 MB.
    expect(Buffer.byteLength(html)).toBeLessThan(2 * 1024 * 1024);
  });
});

describe('writeReport', () => {
  it('writes the page with mode 0600, also over an existing file with looser permissions', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ldi-report-'));
    const path = join(dir, 'report.html');
    writeFileSync(path, 'old', { mode: 0o644 });
    const d = new ReportCollector(info()).finish(summary({ rows: 1 }), NOW);
    writeReport(path, d);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe(renderReport(d));
  });
});

describe('report wiring helpers', () => {
  const header = ['First Name', 'Last Name', 'Work Email', 'Personal Email', 'Mobile', 'Customer ID', 'Notes'];
  const mapping = {
    header,
    fields: {
      name: { kind: 'join', columns: [0, 1] },
      email: { kind: 'columns', columns: [2, 3] },
      phone_number: { kind: 'columns', columns: [4] },
      identifier: { kind: 'columns', columns: [5] },
    },
    ignored: [6],
  };

  it('lists the mapping the way the terminal prints it', () => {
    const { mapping: list, ignored } = reportMapping(mapping);
    expect(list).toEqual([
      { field: 'name', columns: ['First Name', 'Last Name'], how: 'joined' },
      { field: 'email', columns: ['Work Email', 'Personal Email'], how: 'first valid, in this order' },
      { field: 'phone_number', columns: ['Mobile'], how: 'column' },
      { field: 'avatar_url', columns: [], how: 'column' },
      { field: 'identifier', columns: ['Customer ID'], how: 'column' },
    ]);
    expect(ignored).toEqual(['Notes']);
  });

  it('fits a ResolvedMapping from the map stage', () => {
    const m = detectMapping(['Name', 'Email', 'Phone']);
    const { mapping: list } = reportMapping(m);
    expect(list.find((e) => e.field === 'email')!.columns).toEqual(['Email']);
  });

  it('finds the offending cell: the first non-empty candidate of the failing field', () => {
    const row = ['Ana', 'Lima', ' \u200b ', 'ana@@x', '123', 'C-1', ''];
    expect(problemColumn(mapping, row, { code: 'invalid_email' })).toBe(3);
    expect(problemColumn(mapping, row, { code: 'invalid_phone' })).toBe(4);
    expect(problemColumn(mapping, row, { code: 'no_contact_data' })).toBeUndefined();
    expect(problemColumn(mapping, row, { code: 'malformed_row' })).toBeUndefined();
    // The field is not mapped at all.
    expect(problemColumn(mapping, row, { code: 'invalid_avatar_url' })).toBeUndefined();
    // A send-stage failure carries the field when LiveDesk named one; without it, no cell is told.
    expect(problemColumn(mapping, row, { code: 'rejected', field: 'email' })).toBe(3);
    expect(problemColumn(mapping, row, { code: 'rejected' })).toBeUndefined();
  });

  it('finds the repeated cell of an in-file duplicate from its key and value', () => {
    const row = ['Ana', 'Lima', 'bad@@', 'Ana@Example.com', '+44 7700 900123', 'C-1', ''];
    expect(problemColumn(mapping, row, { code: 'duplicate_in_file', field: 'email', value: 'ana@example.com' })).toBe(3);
    expect(problemColumn(mapping, row, { code: 'duplicate_in_file', field: 'phone_number', value: '+447700900123' })).toBe(4);
    expect(problemColumn(mapping, row, { code: 'duplicate_in_file', field: 'identifier', value: 'C-1' })).toBe(5);
  });
});

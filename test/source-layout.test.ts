// Issue 15, item 2: a table wrapped in text. The header is the first line the rows after it match
// in width (LinkedIn's Connections.csv starts with "Notes:", a quoted paragraph and a blank line);
// the lines before it are reported, not read as rows. A known export's footer (a Salesforce
// report's "Grand Totals (5 records)", notices and copyright) is skipped and reported, not failed.
// Rows are numbered from the header, so row numbers, resume and the output files agree.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { delimiterLine } from '../src/source/csv-dialect.js';
import { findHeader, startsFooter } from '../src/source/csv-layout.js';
import { openCsvSource } from '../src/source/csv-source.js';
import type { SourceRecord } from '../src/types.js';
import { useStandin } from './helpers/standin.js';
import { CREDS, readCsv, runCli, startCli, waitFor } from './helpers/cli.js';
import { scratchFiles } from './helpers/source.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'source-layout');
const { file } = scratchFiles('ldi-source-layout-');

async function read(path: string) {
  const src = await openCsvSource(path);
  const recs: SourceRecord[] = [];
  for await (const r of src.records) recs.push(r);
  return { src, recs, skipped: src.skippedLines() };
}

const LINKEDIN_PREAMBLE =
  'Notes:\n"When exporting your connection data, you may notice that some of the email addresses are missing. You will only see email addresses for connections who have allowed their connections to see or download it. You can learn more here: https://www.linkedin.com/help/linkedin/answer/261"\n\n';
const LINKEDIN_HEADER = 'First Name,Last Name,URL,Email Address,Company,Position,Connected On';

describe('a preamble before the header', () => {
  it('LinkedIn Connections.csv: the header on line 4, rows numbered from it, 3 lines reported', async () => {
    const { src, recs, skipped } = await read(join(FIXTURES, 'linkedin-connections.csv'));
    expect(src.header).toEqual(LINKEDIN_HEADER.split(','));
    expect(src.format).toMatchObject({ headerLine: 4 });
    expect(recs.map((r) => [r.kind, r.row, r.line])).toEqual([
      ['record', 1, 5],
      ['record', 2, 6],
      ['record', 3, 7],
      ['record', 4, 8],
    ]);
    expect(recs[2]!.values[5]).toBe('Cryptanalyst, Head of Hut 8');
    expect(skipped).toEqual({ beforeHeader: 3, footer: 0 });
  });

  it('the rules: text lines narrower than the header are looked past; anything else keeps the first line', () => {
    const text = (s: string): string[] => [s];
    const row = (n: number): string[] => Array.from({ length: n }, (_, i) => `v${i}`);
    expect(findHeader([row(3), row(3)])).toBe(0); // an ordinary CSV
    expect(findHeader([text('Notes:'), text('a paragraph'), row(7), row(7), row(7)])).toBe(2);
    expect(findHeader([text('Report'), row(3)])).toBe(0); // a header with no row after it is not confirmed
    expect(findHeader([text('Report'), row(3), row(4)])).toBe(0); // the rows do not match it
    expect(findHeader([['Report', '', ''], row(3), row(3)])).toBe(0); // a title padded to the width: kept
    expect(findHeader([text('email'), text('a@example.com'), row(2), row(2)])).toBe(2); // a one-column file broken into two: read as a preamble
    expect(findHeader([text('a'), undefined, row(3), row(3)])).toBe(0); // a stray quote ends the search
    expect(findHeader([...Array.from({ length: 11 }, () => text('x')), row(3), row(3)])).toBe(0); // more than 10 lines is not a preamble
  });

  it('a first line of several cells, narrower than a later line the rows match, is a preamble line', () => {
    const pre = ['Exported by CRM v2', ' 2024-05-01'];
    const hdr = ['Name', 'Email', 'Phone'];
    const person = (i: number): string[] => [`P ${i}`, `p${i}@example.com`, `+1212555020${i}`];
    expect(findHeader([pre, hdr, person(1), person(2)])).toBe(1);
    expect(findHeader([['Report: contacts', 'all'], hdr, person(1)])).toBe(1); // one row confirms it
    expect(findHeader([pre, ['Report: contacts', 'all'], hdr, person(1)])).toBe(0); // the next line has its width: the first line is the header
    expect(findHeader([pre, hdr])).toBe(0); // no row confirms it
    expect(findHeader([pre, hdr, person(1), ['x', 'y']])).toBe(0); // a confirming row of another width
    expect(findHeader([pre, hdr, undefined, person(1)])).toBe(0); // a stray quote among them
    // A header narrower than its rows (every row ends in a delimiter, or carries one value more):
    // the first row is not taken for the header.
    expect(findHeader([['Name', 'Email'], ['Ann', 'ann@example.com', ''], ['Bob', 'bob@example.com', ''], ['Cy', 'cy@example.com', '']])).toBe(0);
    expect(findHeader([['Name', 'Email'], person(1), person(2), person(3)])).toBe(0);
    expect(findHeader([['a', 'b', 'c'], ['d', 'e', 'f'], ['g', 'h', 'i'], ['j', 'k', 'l', 'm', 'n'], ['o', 'p', 'q', 'r', 's']])).toBe(0); // the next row matches the first: unchanged
    expect(findHeader([...Array.from({ length: 11 }, () => ['x', 'y']), hdr, hdr])).toBe(0); // more than 10 lines is not a preamble
  });

  it('the delimiter of a ; table under a preamble line holding one comma; a two-column file keeps its own', async () => {
    const semi = 'Exported by CRM v2, 2024-05-01\nName;Email;Phone\nAnn A;ann@h.example.com;+12125550201\nBob B;bob@h.example.com;+12125550202\n';
    expect(delimiterLine(semi, 10)).toBe('Name;Email;Phone');
    const { src, recs, skipped } = await read(file(semi));
    expect([src.format.delimiter, src.header, recs.length, skipped.beforeHeader]).toEqual([';', ['Name', 'Email', 'Phone'], 2, 1]);
    // A note with a few `;` in a comma file, and a two-column file whose values hold `;`: the first line.
    expect(delimiterLine('Name,Notes\nAnn,met; called; sent\nBob,ok\n', 10)).toBe('Name,Notes');
    expect(delimiterLine('Email,Groups\na@x.example.com,g1;g2;g3\nb@x.example.com,g1;g2;g3\nc@x.example.com,g1;g2;g3\n', 10)).toBe('Email,Groups');
  });

  it('"Exported by CRM v2, 2024-05-01" and "Report: contacts,all" + a blank line are looked past', async () => {
    const body = 'Name,Email,Phone\nAnn A,ann@h.example.com,+12125550201\nBob B,bob@h.example.com,+12125550202\n';
    for (const [pre, lines] of [
      ['Exported by CRM v2, 2024-05-01\n', 1],
      ['Report: contacts,all\n\n', 2],
    ] as const) {
      const { src, recs, skipped } = await read(file(pre + body));
      expect(src.header).toEqual(['Name', 'Email', 'Phone']);
      expect(src.format).toMatchObject({ headerLine: lines + 1 });
      expect(recs.map((r) => [r.kind, r.row, r.line, r.values[0]])).toEqual([
        ['record', 1, lines + 2, 'Ann A'],
        ['record', 2, lines + 3, 'Bob B'],
      ]);
      expect(skipped).toEqual({ beforeHeader: lines, footer: 0 });
    }
  });

  it('a one-column file is read as before', async () => {
    const { src, recs, skipped } = await read(file('email\na@example.com\nb@example.com\n'));
    expect(src.header).toEqual(['email']);
    expect(recs).toHaveLength(2);
    expect(skipped.beforeHeader).toBe(0);
    // A value with a ; in it is not taken for a header to sniff the delimiter from.
    const one = await read(file('name\nSmith; John\nAda\n'));
    expect(one.src.format.kind === 'csv' && one.src.format.delimiter).toBe(',');
    expect(one.recs.map((r) => r.values)).toEqual([['Smith; John'], ['Ada']]);
  });

  it('the delimiter is sniffed from the header past the preamble (a ; export)', async () => {
    const { src, recs, skipped } = await read(file('Notes:\nExported 2025-12-01\n\nFirst Name;Last Name;Email Address\nAda;Lovelace;ada@example.com\n'));
    expect(src.format).toMatchObject({ delimiter: ';', headerLine: 4 });
    expect(src.header).toEqual(['First Name', 'Last Name', 'Email Address']);
    expect(recs.map((r) => [r.row, r.line, r.values])).toEqual([[1, 5, ['Ada', 'Lovelace', 'ada@example.com']]]);
    expect(skipped.beforeHeader).toBe(3);
  });
});

describe('a known export footer', () => {
  it('a Salesforce report: 5 rows, the 5 footer lines skipped, none failed', async () => {
    const { recs, skipped } = await read(join(FIXTURES, 'salesforce-report.csv'));
    expect(recs.map((r) => [r.kind, r.row])).toEqual([1, 2, 3, 4, 5].map((n) => ['record', n]));
    expect(skipped).toEqual({ beforeHeader: 0, footer: 5 });
  });

  it('a footer marker followed by more data is read as rows (and fails as one)', async () => {
    const { recs, skipped } = await read(file('"Name","Email"\n"Ada","ada@example.com"\n"Grand Totals (1 records)"\n"Bob","bob@example.com"\n'));
    expect(recs.map((r) => [r.kind, r.row, r.line])).toEqual([
      ['record', 1, 2],
      ['malformed', 2, 3],
      ['record', 3, 4],
    ]);
    expect(skipped.footer).toBe(0);
    expect(startsFooter(['Grand Totals (5 records)'])).toBe(true);
    expect(startsFooter(['Copyright (c) 2000-2025 salesforce.com, inc. All rights reserved.'])).toBe(true);
    expect(startsFooter(['Grand Totals', 'x'])).toBe(false);
  });
});

describe('as a person runs it', () => {
  const t = useStandin(15, 'ldi-source-layout-');

  function linkedIn(n: number): string {
    const rows = Array.from({ length: n }, (_, i) => `First${i + 1},Last${i + 1},https://www.linkedin.com/in/p${i + 1},p${i + 1}@example.com,Acme,Engineer,01 Dec 2025`);
    const p = join(t.dir, 'Connections.csv');
    writeFileSync(p, LINKEDIN_PREAMBLE + LINKEDIN_HEADER + '\n' + rows.join('\n') + '\n');
    return p;
  }

  it('the summary says what was skipped; row N is the Nth data row, in both runs of a resume', async () => {
    t.server.setFaults({ latencyMs: 15 });
    const input = linkedIn(200);
    const first = startCli([...t.live(input), '--concurrency', '4'], CREDS);
    await waitFor(() => t.server.contacts().length >= 40);
    first.child.kill('SIGKILL');
    await first.done;
    t.server.setFaults({});
    const summary = join(t.dir, 's.json');
    const second = await runCli([...t.live(input), '--resume', '--summary', summary], CREDS);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/header on line 4: the 3 lines before it skipped/);
    expect(second.stderr).toMatch(/Skipped 3 lines before the header\./);
    expect(JSON.parse(readFileSync(summary, 'utf8'))).toMatchObject({ skippedBeforeHeader: 3, failed: 0 });
    const results = readCsv(join(t.dir, 'Connections.results.csv')).rows;
    expect(results).toHaveLength(200);
    for (const r of results) expect(r.email).toBe(`p${r.row}@example.com`);
    const stored = t.server.contacts();
    expect(stored).toHaveLength(200);
    expect(new Set(stored.map((c) => c.email)).size).toBe(200);
  }, 120_000);

  it('a dry run past a preamble line with a delimiter: the header found, the line reported, exit 0', async () => {
    const input = join(t.dir, 'pre1.csv');
    writeFileSync(input, 'Exported by CRM v2, 2024-05-01\nName,Email,Phone\nAnn A,ann@h.example.com,+12125550201\nBob B,bob@h.example.com,+12125550202\n');
    const run = await runCli([input, '--dry-run']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/header on line 2: the 1 line before it skipped/);
    expect(run.stderr).toMatch(/2 rows read, 2 valid, 0 invalid/);
  });

  it('a Salesforce report imports its 5 rows and exits 0: the footer is not a failure', async () => {
    const input = join(t.dir, 'report.csv');
    writeFileSync(input, readFileSync(join(FIXTURES, 'salesforce-report.csv')));
    const run = await runCli(t.live(input), CREDS);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/Skipped 5 footer lines after the last row/);
    expect(readCsv(join(t.dir, 'report.failures.csv')).rows).toHaveLength(0);
    expect(t.server.contacts()).toHaveLength(5);
  });
});

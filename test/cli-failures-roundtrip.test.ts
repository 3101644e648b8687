// Issue 15, item 6, as a person lives it: a Windows-1252 `;` export from a European Excel is
// imported; its failures file opens in that Excel (UTF-8 BOM, `;`, accents intact), is fixed and
// fed back, and the rows keep their original numbers in the new outputs. A stopped run on such an
// input resumes without a second BOM or another delimiter.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { useStandin } from './helpers/standin.js';
import { CREDS, readCsv, runCli, startCli, waitFor } from './helpers/cli.js';

const t = useStandin(15, 'failures-rt-');
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const HEADER = 'Full Name;Email;Phone;External ID;Société';

/** A CSV as Excel on a French Windows saves it: Windows-1252 bytes, `;`, CRLF. */
function writeWindows1252(name: string, lines: string[]): string {
  const p = join(t.dir, name);
  writeFileSync(p, Buffer.from(lines.map((l) => l + '\r\n').join(''), 'latin1'));
  return p;
}

/** A `;` file as header + objects keyed by header, every record checked to be as wide as the header. */
function readSemicolon(path: string): { header: string[]; rows: Record<string, string>[] } {
  const records = parse(readFileSync(path), { bom: true, delimiter: ';' }) as string[][];
  const [header = [], ...data] = records;
  for (const r of data) expect(r).toHaveLength(header.length);
  return { header, rows: data.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? '']))) };
}

function countOf(haystack: Buffer, needle: Buffer): number {
  let n = 0;
  for (let i = haystack.indexOf(needle); i !== -1; i = haystack.indexOf(needle, i + 1)) n++;
  return n;
}

describe('a failures file that opens right where it came from', () => {
  it('Windows-1252 `;` input → failures with a BOM, `;` and UTF-8 accents → fixed and fed back → original row numbers', async () => {
    const input = writeWindows1252('export.csv', [
      HEADER,
      'Renée Faïence;renee@example.fr;+33612345678;c-1;Crème SA',
      'José García;pas-un-courriel;;c-2;Ñandú SL',
      'Zoë Müller;zoe@example.fr;+33612345679;c-3;Élan;extra',
      'Amélie Poulain;amelie@example.fr;12345;c-4;"Café; Tabac"',
      'Françoise Dupré;francoise@example.fr;+33612345680;c-5;',
      'Noël Bœuf;=noel@x;;c-6;',
    ].map((l) => l.replace('œ', 'oe')));
    const first = await runCli([...t.live(input), '--summary', join(t.dir, 's1.json')], CREDS);
    expect(first.code, first.stderr).toBe(1);
    expect(first.stderr).toMatch(/windows-1252, delimiter ";"/);

    // The bytes Excel sees: one BOM, then UTF-8, `;` between cells, a `;` inside a cell quoted.
    const failuresPath = join(t.dir, 'export.failures.csv');
    const bytes = readFileSync(failuresPath);
    expect(bytes.subarray(0, 3)).toEqual(BOM);
    expect(countOf(bytes, BOM)).toBe(1);
    const text = bytes.subarray(3).toString('utf8');
    expect(text).not.toContain('\uFFFD');
    expect(text.split('\n')[0]).toBe('Full Name;Email;Phone;External ID;Société;_row;_error;_message');
    expect(text).toContain('José García;pas-un-courriel;;c-2;Ñandú SL;2;invalid_email;');
    expect(text).toContain('Amélie Poulain;amelie@example.fr;12345;c-4;"Café; Tabac";4;invalid_phone;');
    // The formula guard, as in any failures file.
    expect(text).toContain("Noël Boeuf;'=noel@x;;c-6;;6;invalid_email;");

    const failures = readSemicolon(failuresPath);
    expect(failures.rows.map((r) => [r._row, r._error])).toEqual([
      ['2', 'invalid_email'],
      ['3', 'malformed_row'],
      ['4', 'invalid_phone'],
      ['6', 'invalid_email'],
    ]);
    const malformed = failures.rows[1]!;
    expect(malformed).toMatchObject({ 'Full Name': 'Zoë Müller', Email: 'zoe@example.fr', Société: 'Élan' });
    // The value that did not fit is kept in the file (in _message), not lost.
    expect(malformed._message).toMatch(/extra.*\. The row as read: Zoë Müller;zoe@example\.fr;\+33612345679;c-3;Élan;extra$/);
    expect(readCsv(join(t.dir, 'export.results.csv')).rows.map((r) => [r.row, r.outcome, r.name])).toEqual([
      ['1', 'created', 'Renée Faïence'],
      ['5', 'created', 'Françoise Dupré'],
    ]);

    // The person fixes two rows in the spreadsheet and saves it as it was (UTF-8 with BOM, `;`).
    const fixed = readFileSync(failuresPath, 'utf8').replace('pas-un-courriel', 'jose@example.fr').replace(';12345;', ';+33612345681;');
    expect(fixed.startsWith('\uFEFF')).toBe(true);
    writeFileSync(join(t.dir, 'retry.csv'), fixed, 'utf8');
    const again = await runCli([...t.live(join(t.dir, 'retry.csv')), '--summary', join(t.dir, 's2.json')], CREDS);
    expect(again.code, again.stderr).toBe(1);
    expect(again.stderr).toMatch(/utf-8, delimiter ";"/);
    expect(again.stderr).toMatch(/ignored: .*"_row"/);

    // Positions 1, 2, 3 of retry.csv; rows 2, 3, 4 of the export: the results say 2, 3, 4.
    const results = readCsv(join(t.dir, 'retry.results.csv'));
    expect(results.header[0]).toBe('row');
    expect(results.rows.map((r) => [r.row, r.outcome, r.name, r.email])).toEqual([
      ['2', 'created', 'José García', 'jose@example.fr'],
      ['3', 'created', 'Zoë Müller', 'zoe@example.fr'],
      ['4', 'created', 'Amélie Poulain', 'amelie@example.fr'],
    ]);
    const stored = t.server.contacts().map((c) => c.name).sort();
    expect(stored).toEqual(['Amélie Poulain', 'Françoise Dupré', 'José García', 'Renée Faïence', 'Zoë Müller']);

    // Still failing: row 6 of the export (position 4 here), in a file that opens the same way.
    const again2 = readFileSync(join(t.dir, 'retry.failures.csv'));
    expect(again2.subarray(0, 3)).toEqual(BOM);
    expect(countOf(again2, BOM)).toBe(1);
    const still = readSemicolon(join(t.dir, 'retry.failures.csv'));
    expect(still.header).toEqual(['Full Name', 'Email', 'Phone', 'External ID', 'Société', '_row', '_error', '_message']);
    expect(still.rows.map((r) => [r['Full Name'], r.Email, r._row, r._error])).toEqual([['Noël Boeuf', "'=noel@x", '6', 'invalid_email']]);
    // The summary names the row by the same number.
    const summary = JSON.parse(readFileSync(join(t.dir, 's2.json'), 'utf8'));
    expect(summary.examples.invalid_email).toEqual([{ row: 6, message: expect.stringContaining('=noel@x') }]);
    expect(again.stderr).toMatch(/row 6: email "=noel@x"/);

    // Fed back a second time, unfixed: the number survives another round.
    writeFileSync(join(t.dir, 'third.csv'), readFileSync(join(t.dir, 'retry.failures.csv')));
    const third = await runCli([join(t.dir, 'third.csv'), '--dry-run'], CREDS);
    expect(third.code, third.stderr).toBe(1);
    expect(readSemicolon(join(t.dir, 'third.dry-run.failures.csv')).rows.map((r) => r._row)).toEqual(['6']);
  });

  it('a fed-back file names an earlier row by its original number too (duplicates, the report)', async () => {
    const input = join(t.dir, 'back.csv');
    writeFileSync(input, '\uFEFFFull Name;Email;_row;_error;_message\nAna;ana@example.fr;12;rejected;x\nAnabel;ANA@example.fr;40;rejected;x\nNew;new-at-example;;;\n');
    const dry = await runCli([input, '--dry-run', '--report', join(t.dir, 'r.html')]);
    expect(dry.code, dry.stderr).toBe(1);
    const failures = readSemicolon(join(t.dir, 'back.dry-run.failures.csv'));
    expect(failures.rows.map((r) => [r._row, r._error, r._message])).toEqual([
      ['40', 'duplicate_in_file', expect.stringContaining('same email as row 12')],
      // A row added by hand has no original number: its position in the file fed back.
      ['3', 'invalid_email', expect.any(String)],
    ]);
    expect(readFileSync(join(t.dir, 'r.html'), 'utf8')).toMatch(/\b40\b/);
  });

  it('a run on a Windows-1252 `;` input stopped by kill -9 resumes with one BOM and the same delimiter', async () => {
    t.server.setFaults({ latencyMs: 15 });
    const lines = [HEADER];
    for (let i = 1; i <= 200; i++) {
      const email = i % 10 === 0 ? `cassé-${i}` : `personne${i}@example.fr`;
      lines.push(`Hélène N°${i};${email};+336${String(10000000 + i)};c-${i};Société ${i}`);
    }
    const input = writeWindows1252('big.csv', lines);
    const first = startCli([...t.live(input), '--concurrency', '4'], CREDS);
    await waitFor(() => t.server.contacts().length >= 60);
    first.child.kill('SIGKILL');
    await first.done;
    expect(t.server.contacts().length).toBeLessThan(180);
    const before = readFileSync(join(t.dir, 'big.failures.csv'));
    expect(before.subarray(0, 3)).toEqual(BOM);

    const again = await runCli([...t.live(input), '--resume'], CREDS);
    expect(again.code, again.stderr).toBe(1);
    expect(again.stderr).toMatch(/Resuming: \d+ rows were finished/);
    const bytes = readFileSync(join(t.dir, 'big.failures.csv'));
    expect(bytes.subarray(0, 3)).toEqual(BOM);
    expect(countOf(bytes, BOM)).toBe(1);
    const failures = readSemicolon(join(t.dir, 'big.failures.csv'));
    expect(failures.header).toEqual(['Full Name', 'Email', 'Phone', 'External ID', 'Société', '_row', '_error', '_message']);
    expect(failures.rows.map((r) => Number(r._row)).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, k) => (k + 1) * 10));
    expect(failures.rows.every((r) => r._error === 'invalid_email' && r['Full Name']!.startsWith('Hélène N°'))).toBe(true);
    const results = readCsv(join(t.dir, 'big.results.csv')).rows;
    expect(results).toHaveLength(180);
    expect(new Set([...results.map((r) => r.row), ...failures.rows.map((r) => r._row)]).size).toBe(200);
    expect(t.server.contacts()).toHaveLength(180);
  });
});

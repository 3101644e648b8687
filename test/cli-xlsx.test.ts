// Issue 7: an .xlsx export imports with the same results as the same data saved as CSV; row
// numbers are the sheet's own.
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startStandin, type Standin } from '../src/standin/server.js';
import { CREDS, KEY, ROOT, SECRET, readCsv, runCli, tempDir } from './helpers/cli.js';

let server: Standin;
beforeAll(async () => {
  server = await startStandin({ port: 0, apiKey: KEY, apiSecret: SECRET, inboxIds: [407] });
});
afterAll(async () => {
  await server.close();
});

async function importFile(name: string): Promise<{ code: number | null; results: Record<string, string>[]; failures: Record<string, string>[]; stored: unknown[] }> {
  server.reset();
  const dir = tempDir('ldi-xlsx-');
  const input = join(dir, name);
  copyFileSync(join(ROOT, 'fixtures', 'xlsx', name), input);
  const run = await runCli([input, '--inbox-id', '407', '--base-url', server.url, '--rate', '1000', '--default-country', 'GB'], CREDS);
  const base = join(dir, 'contacts');
  const stored = server.contacts().map(({ id: _id, created_at: _c, ...rest }) => rest);
  return { code: run.code, results: readCsv(`${base}.results.csv`).rows, failures: readCsv(`${base}.failures.csv`).rows, stored };
}

it('an .xlsx workbook imports exactly as the same data saved as CSV', async () => {
  const csv = await importFile('contacts.csv');
  const xlsx = await importFile('contacts.xlsx');
  expect(xlsx.code).toBe(csv.code);
  const strip = (rows: Record<string, string>[], ...drop: string[]): Record<string, string>[] =>
    rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !drop.includes(k))));
  expect(strip(xlsx.results, 'row', 'contact_id')).toEqual(strip(csv.results, 'row', 'contact_id'));
  expect(strip(xlsx.failures, '_row')).toEqual(strip(csv.failures, '_row'));
  expect(xlsx.stored).toEqual(csv.stored);
  expect(xlsx.results.length).toBeGreaterThan(0);
  // Sheet row numbers: the header is sheet row 1, so data starts at 2 (CSV counts records from 1).
  // The sheet's own row numbers: the header is row 1, row 4 is cleared, row 5 does not exist.
  // Row 2's 4915112345678 is not a GB number but is valid with a + in front: taken as international (issue 15).
  expect(xlsx.results.map((r) => r.row)).toEqual(['2', '3', '6']);
  expect(xlsx.failures.map((r) => r._row)).toEqual(['7']);
  expect(csv.results.map((r) => r.row)).toEqual(['1', '2', '4']);
});

// Issue 15: every export in samples/exports/, in its real shape and with its real quirks, is tried
// as a new user would: `--dry-run --default-country US`, no mapping file. Each is recognised as
// its product, and no valid person in it is lost.
//
// What each sample needs beyond the presets (the other parts of issue 15):
// - linkedin-connections.csv: the `Notes:` preamble before the header (source: header detection);
// - salesforce-contacts-report.csv: the report's footer lines (source: known footers skipped);
// - shopify-customers*.csv: `'+14155550150` apostrophes, national numbers read in the row's country
//   (map: cells and phones);
// - pipedrive-people.csv: two values in one cell (map: multi-value cells);
// - dynamics-contacts.csv: `+1 425 555 0100 x204` (map: extensions);
// - freshdesk-contacts.csv: `4915112345678`, a country code without + (map: phones).
import { copyFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { startStandin } from '../src/standin/server.js';
import { CREDS, KEY, ROOT, SECRET, runCli, tempDir } from './helpers/cli.js';

const SAMPLES = join(ROOT, 'samples', 'exports');

/** Each sample: the preset it must be read with, and its number of people (every one valid). */
const EXPECTED: Record<string, { preset: string; rows: number; staff?: number }> = {
  'chatwoot-contacts.csv': { preset: 'Chatwoot contacts export', rows: 5 },
  'dynamics-contacts.csv': { preset: 'Dynamics 365 export', rows: 4 },
  'freshdesk-contacts.csv': { preset: 'Freshdesk contacts export', rows: 4 },
  'intercom-users.csv': { preset: 'Intercom users export', rows: 4 },
  'linkedin-connections.csv': { preset: 'LinkedIn connections export', rows: 6 },
  'pipedrive-people.csv': { preset: 'Pipedrive export', rows: 5 },
  'salesforce-contacts-report.csv': { preset: 'Salesforce report export', rows: 5 },
  'shopify-customers-legacy.csv': { preset: 'Shopify customers export', rows: 4 },
  'shopify-customers.csv': { preset: 'Shopify customers export', rows: 5 },
  'zendesk-users.csv': { preset: 'Zendesk users export', rows: 6, staff: 3 },
};

describe('samples/exports: a dry run with --default-country US and no mapping file', () => {
  it('has a case for every sample file', () => {
    expect(readdirSync(SAMPLES).filter((f) => f.endsWith('.csv')).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('%s: recognised, and no row fails', async (file, { preset, rows, staff }) => {
    const dir = tempDir('ldi-exports-');
    const input = join(dir, file);
    copyFileSync(join(SAMPLES, file), input);
    const summaryFile = join(dir, 'summary.json');
    const run = await runCli([input, '--dry-run', '--default-country', 'US', '--inbox-id', '407', '--summary', summaryFile]);
    expect(run.stderr).toContain(`detected from the header (${preset})`);
    const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as { rows: number; valid: number; failed: number; byError: object; examples: object; staffRows?: number };
    expect({ failed: summary.failed, examples: summary.examples }).toEqual({ failed: 0, examples: {} });
    expect({ rows: summary.rows, valid: summary.valid }).toEqual({ rows, valid: rows });
    expect(summary.staffRows).toBe(staff);
    if (staff !== undefined) expect(run.stderr).toContain(`${staff} rows have role agent or admin`);
    expect(run.code).toBe(0);
  });
});

/**
 * Dynamics 365's Export to Excel, as it writes it: the data on the first sheet, its first three
 * columns hidden (the GUID, the row checksum, the modified date), and a hidden sheet of metadata.
 * Built from samples/exports/dynamics-contacts.csv, which is the same export saved as CSV.
 */
async function dynamicsWorkbook(path: string): Promise<void> {
  const [header, ...rows] = parse(readFileSync(join(SAMPLES, 'dynamics-contacts.csv'))) as string[][];
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('My Active Contacts');
  ws.addRow(header);
  for (const r of rows) ws.addRow(r);
  for (const c of [1, 2, 3]) ws.getColumn(c).hidden = true;
  const meta = wb.addWorksheet('hiddenSheet', { state: 'veryHidden' });
  meta.addRow(['contact', 'f2e8c1d0-0000-0000-0000-000000000000', 'en-US']);
  writeFileSync(path, Buffer.from(await wb.xlsx.writeBuffer()));
}

it('a Dynamics 365 .xlsx export imports with the record GUID as identifier, checksum and date unused', async () => {
  const server = await startStandin({ port: 0, apiKey: KEY, apiSecret: SECRET, inboxIds: [407] });
  try {
    const dir = tempDir('ldi-exports-');
    const input = join(dir, 'My Active Contacts 5-4-2024 2-45-00 PM.xlsx');
    await dynamicsWorkbook(input);
    const run = await runCli([input, '--inbox-id', '407', '--base-url', server.url, '--rate', '1000', '--default-country', 'US'], CREDS);
    expect(run.stderr).toContain('detected from the header (Dynamics 365 export)');
    expect(run.stderr).toMatch(/ignored: "\(Do Not Modify\) Row Checksum", "\(Do Not Modify\) Modified On"/);
    const stored = server
      .contacts()
      .map((c) => ({ name: c.name, email: c.email, phone_number: c.phone_number, identifier: c.identifier }))
      .sort((a, b) => String(a.identifier).localeCompare(String(b.identifier)));
    expect(stored).toEqual([
      { name: 'Nora Lindqvist', email: 'nora.lindqvist@example.se', phone_number: '+46701234567', identifier: '6f1c2a3b-4d5e-ef11-a81c-000d3a1b2c3d' },
      // `+1 425 555 0100 x204`: the extension is not part of the number.
      { name: 'Yvonne McKay', email: 'yvonne.mckay@example.com', phone_number: '+14255550100', identifier: '7a2d3b4c-5e6f-ef11-a81c-000d3a1b2c3e' },
      // No person name: the contact is named after its company.
      { name: 'Adventure Works', email: null, phone_number: '+12065550119', identifier: '8b3e4c5d-6f70-ef11-a81c-000d3a1b2c3f' },
      { name: 'Rahul Mehta', email: 'rahul.mehta@example.org', phone_number: '+14085550177', identifier: '9c4f5d6e-7081-ef11-a81c-000d3a1b2c40' },
    ]);
    expect(run.code).toBe(0);
  } finally {
    await server.close();
  }
});

// Issue 15, items 3–4 as a person meets them: the built CLI against the stand-in. Phones written
// the way exports write them (an extension, an apostrophe, two values, no +) are imported with a
// note; --invalid-phone omit creates a row whose only problem is its phone without it; a dry run
// says when omit would save rows.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CREDS, readCsv, runCli, writeCsv } from './helpers/cli.js';
import { useStandin } from './helpers/standin.js';

const HEADER = ['Full Name', 'Email', 'Phone', 'Customer ID', 'Country'];
const t = useStandin(15, 'ldi-cells-');

function outputs(name: string) {
  const stem = join(t.dir, name);
  return {
    results: () => readCsv(`${stem}.results.csv`).rows,
    failures: () => readCsv(`${stem}.failures.csv`).rows,
    summary: () => JSON.parse(readFileSync(`${stem}.summary.json`, 'utf8')) as Record<string, unknown>,
    args: ['--results', `${stem}.results.csv`, '--failures', `${stem}.failures.csv`, '--summary', `${stem}.summary.json`],
  };
}

const ROWS = [
  HEADER,
  ['Ada Lovelace', 'ada@example.com', '(212) 555-0123 x204', "'C-1", ''],
  ['Bea Mbeki', 'mailto:Bea@Example.com', "'+14155550150", '', ''],
  ['Cy Rossi', 'cy@example.com, cy@work.example', '+39 312 345 6789, +39 06 1234 5678', '', ''],
  ['Dee Vogel', 'dee@example.com', '030 1234567', '', 'Deutschland'],
  ['Eve Klein', 'eve@example.com', '4915112345678', '', ''],
  ['Fay Ng', 'fay@example.com', '4,91511E+12', '', ''],
  ['Gus Ortiz', 'gus@example.com', '555-01', '', ''],
  ['-', 'N/A', 'unknown', '[not provided]', ''],
];

describe('phones and cells as exports write them', () => {
  it('--invalid-phone omit: rows whose only problem is the phone are created without it, and the results file says so', async () => {
    const input = writeCsv(t.dir, 'omit.csv', ROWS);
    const out = outputs('omit');
    const run = await runCli([...t.live(input), '--default-country', 'US', '--invalid-phone', 'omit', ...out.args], CREDS);
    expect(run.code, run.stderr).toBe(1); // the row of placeholders fails

    const stored = new Map(t.server.contacts().map((c) => [c.email, c]));
    expect(stored.get('ada@example.com')).toMatchObject({ name: 'Ada Lovelace', phone_number: '+12125550123', identifier: 'C-1' });
    expect(stored.get('bea@example.com')).toMatchObject({ phone_number: '+14155550150' });
    expect(stored.get('cy@example.com')).toMatchObject({ phone_number: '+393123456789' });
    expect(stored.get('dee@example.com')).toMatchObject({ phone_number: '+49301234567' });
    expect(stored.get('eve@example.com')).toMatchObject({ phone_number: '+4915112345678' });
    expect(stored.get('fay@example.com')).toMatchObject({ name: 'Fay Ng', phone_number: null });
    expect(stored.get('gus@example.com')).toMatchObject({ name: 'Gus Ortiz', phone_number: null });
    expect(t.server.contacts()).toHaveLength(7);

    const results = new Map(out.results().map((r) => [r.row, r]));
    expect(results.get('1')).toMatchObject({ outcome: 'created', phone_number: '+12125550123', note: 'phone extension 204 removed (LiveDesk has no field for it)' });
    expect(results.get('2')!.note).toBe('');
    expect(results.get('5')!.note).toBe('phone 4915112345678 read as +4915112345678 (not a valid number for US (United States), valid with a + in front)');
    expect(results.get('6')).toMatchObject({ outcome: 'created', phone_number: '' });
    expect(results.get('6')!.note).toMatch(/^phone number "4,91511E\+12" left out: it is in Excel's scientific notation: .* \(--invalid-phone omit\)$/);
    expect(results.get('7')).toMatchObject({ outcome: 'created', phone_number: '' });
    expect(results.get('7')!.note).toMatch(/^phone number "555-01" left out: it .* \(--invalid-phone omit\)$/);

    // The row of placeholders only has nothing to import.
    const failures = out.failures();
    expect(failures.map((f) => [f._row, f._error])).toEqual([['8', 'no_contact_data']]);
    expect(out.summary()).toMatchObject({ created: 7, failed: 1, invalidPhoneLeftOut: 2 });
    expect(run.stderr).toContain("2 rows sent without their phone number, which was not valid (--invalid-phone omit); the results file's note says why.");

    const dry = await runCli([input, '--dry-run', '--default-country', 'US', '--invalid-phone', 'omit', '--failures', join(t.dir, 'omit-dry.failures.csv')]);
    expect(dry.stderr).toContain('2 rows would be sent without their phone number, which is not valid (--invalid-phone omit).');
    expect(dry.stderr).not.toContain('fail only for the phone number');
  });

  it('--invalid-phone fail (the default): those rows fail as invalid_phone, and the dry run suggests omit', async () => {
    const input = writeCsv(t.dir, 'fail.csv', ROWS);
    const rehearsal = outputs('fail-dry');
    const dry = await runCli([input, '--dry-run', '--default-country', 'US', ...rehearsal.args.slice(2)]);
    expect(dry.code, dry.stderr).toBe(1);
    expect(dry.stderr).toContain("2 rows fail only for the phone number: --invalid-phone omit would create them without it (the results file's note says so).");
    expect(dry.stderr).toContain("is in Excel's scientific notation");
    expect(rehearsal.summary()).toMatchObject({ valid: 5, failed: 3, phoneOnly: 2, byError: { invalid_phone: 2, no_contact_data: 1 } });

    const out = outputs('fail');
    const live = await runCli([...t.live(input), '--default-country', 'US', ...out.args], CREDS);
    expect(live.code, live.stderr).toBe(1);
    expect(t.server.contacts()).toHaveLength(5);
    const failures = out.failures();
    expect(failures.map((f) => [f._row, f._error])).toEqual([
      ['6', 'invalid_phone'],
      ['7', 'invalid_phone'],
      ['8', 'no_contact_data'],
    ]);
  });

  it('a dry run with nothing omit would save says nothing about it', async () => {
    const input = writeCsv(t.dir, 'clean.csv', [HEADER, ['Ada', 'ada@example.com', '+1 212 555 0123', '', '']]);
    const dry = await runCli([input, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).not.toContain('--invalid-phone');
  });

  it('--invalid-phone takes fail or omit only (exit 2 before anything is read)', async () => {
    const input = writeCsv(t.dir, 'bad.csv', [HEADER, ['Ada', 'ada@example.com', '', '', '']]);
    const run = await runCli([input, '--dry-run', '--invalid-phone', 'drop']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/invalid-phone/);
  });
});

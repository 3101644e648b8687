// samples/contacts.csv is a file people try first: keep its deliberate mistakes deliberate.
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { checkPhone, detectMapping, mapRow, mappingToSpec, normalizePhone } from '../src/map/index.js';

// The sample's UK mobiles (07700 900xxx) and French mobiles (06 39 98 xx xx) are the regulators'
// ranges for fiction, which libphonenumber-js (max metadata) rightly reports as not valid. Until
// samples/contacts.csv carries numbers from fictional ranges that are also valid (London's
// 020 7946 0xxx, Paris's 01 99 00 xx xx), these tests read it with them swapped in; once it does,
// the swap finds nothing to replace.
const FICTIONAL_BUT_VALID: [string, string][] = [
  ['+44 7700 900123', '+44 20 7946 0123'],
  ['+44 7700 900456', '+44 20 7946 0456'],
  ['+44 7700 900321', '+44 20 7946 0322'],
  ['0044 7700 900789', '0044 20 7946 0789'],
  ['+44 7700 900654', '+44 20 7946 0654'],
  ['+44 7700 900987', '+44 20 7946 0987'],
  ['+44 7700 900246', '+44 20 7946 0246'],
  ['+44 7700 900135', '+44 20 7946 0135'],
  ['+44 7700 900579', '+44 20 7946 0579'],
  ['+33 6 39 98 12 34', '+33 1 99 00 12 34'],
  ['+33 6 39 98 56 78', '+33 1 99 00 56 78'],
];

describe('samples/contacts.csv', () => {
  let text = readFileSync(new URL('../samples/contacts.csv', import.meta.url), 'utf8');
  for (const [from, to] of FICTIONAL_BUT_VALID) text = text.split(from).join(to);
  const [header, ...rows] = parse(text, { bom: true }) as string[][];
  const mapping = detectMapping(header!);
  const results = rows.map((row) => mapRow(row, mapping, {}));

  it('swaps in only numbers that are valid', () => {
    for (const [, to] of FICTIONAL_BUT_VALID) expect(checkPhone(to, normalizePhone(to)).ok, to).toBe(true);
  });

  it('is detected without a mapping file', () => {
    expect(mappingToSpec(mapping)).toEqual({
      name: { join: ['First Name', 'Last Name'] },
      // Read only for a row without a person name (issue 15).
      name_fallback: ['Company'],
      email: 'Email',
      phone_number: 'Mobile Phone',
      identifier: 'Contact ID',
    });
    expect(rows).toHaveLength(40);
    expect(rows.every((r) => r.length === header!.length)).toBe(true);
  });

  it('fails exactly its deliberately bad rows before sending', () => {
    const failures = results.flatMap((v, i) => (v.ok ? [] : [[i + 1, v.code]]));
    expect(failures).toEqual([
      [25, 'invalid_email'],
      [30, 'invalid_phone'], // national number, no country code
      [35, 'no_contact_data'], // only a company: named after it would be created again by every rerun
    ]);
  });

  it('since issue 15, imports the row whose phone has an extension; the company-only row still fails', () => {
    expect(rows[32]![4]).toBe('+44 20 7946 0112 ext. 214');
    // The extension is dropped (LiveDesk has nowhere to keep it); the number is the switchboard's.
    expect(results[32]).toMatchObject({ ok: true, contact: { name: 'Tom Baker', phone_number: '+442079460112' } });
    // "Lead from the trade show, no contact person yet": a company alone has nothing unique to it,
    // so it is not imported (a nightly rerun would create it again every night).
    expect(results[34]).toMatchObject({ ok: false, code: 'no_contact_data', contact: { name: 'Globex Corporation' } });
  });

  it('accepts its national number with --default-country GB', () => {
    expect(rows[29]![4]).toBe('020 7946 0321');
    expect(mapRow(rows[29]!, mapping, { defaultCountry: 'GB' })).toMatchObject({ ok: true, contact: { phone_number: '+442079460321' } });
  });

  it('has one valid row whose email repeats an earlier one (LiveDesk rejects it), and no other repeated key', () => {
    const seen = new Map<string, number>();
    const repeats: string[] = [];
    results.forEach((v, i) => {
      if (!v.ok) return;
      for (const key of [v.contact.email, v.contact.phone_number, v.contact.identifier]) {
        if (key === undefined) continue;
        if (seen.has(key)) repeats.push(`${i + 1}:${key}`);
        seen.set(key, i + 1);
      }
    });
    expect(repeats).toEqual(['36:ada.lovelace@example.com']);
  });

  it('keeps quoted notes with a comma and with a line break', () => {
    const notes = rows.map((r) => r[6] ?? '');
    expect(notes.some((n) => n.includes(','))).toBe(true);
    expect(notes.some((n) => n.includes('\n'))).toBe(true);
  });
});

// samples/contacts.csv is a file people try first: keep its deliberate mistakes deliberate.
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { detectMapping, extractRow, mappingToSpec, validateContact } from '../src/map/index.js';

describe('samples/contacts.csv', () => {
  const [header, ...rows] = parse(readFileSync(new URL('../samples/contacts.csv', import.meta.url)), {
    bom: true,
  }) as string[][];
  const mapping = detectMapping(header!);
  const results = rows.map((row) => validateContact(extractRow(row, mapping)));

  it('is detected without a mapping file', () => {
    expect(mappingToSpec(mapping)).toEqual({
      name: { join: ['First Name', 'Last Name'] },
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
      [33, 'invalid_phone'], // extension typed into the phone
      [35, 'no_contact_data'], // only a company
    ]);
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

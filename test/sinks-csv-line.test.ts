// csvLine writes the results and failures files by hand, for speed: it must stay byte for byte
// what csv-stringify (default options) writes, which the files were written with before.
import { stringify } from 'csv-stringify/sync';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csvLine } from '../src/sinks/csv-file.js';

const PIECES = ['', 'a', ' ', ',', '"', '""', '\n', '\r', '\r\n', "'", '=1+1', '-x', '\t', 'é', '日本', '😀', ';', '|', '\u2028', '\u0000'];

function randomCell(random: () => number): string {
  let s = '';
  const n = Math.floor(random() * 5);
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(random() * PIECES.length)];
  return s;
}

describe('csvLine', () => {
  it('matches csv-stringify on fixed cases', () => {
    const cases: string[][] = [[], [''], ['', ''], ['a', 'b'], ['a,b', 'c"d', 'e\nf', 'g\rh', ' i '], ['"'], ['x', '', 'y'], ['0', '-1', '=SUM(A1)']];
    for (const cells of cases) expect(csvLine(cells)).toBe(stringify([cells]));
  });

  it('matches csv-stringify on random cells, and reads back as the same cells', () => {
    let seed = 7;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let n = 0; n < 5000; n++) {
      const cells = Array.from({ length: 1 + Math.floor(random() * 6) }, () => randomCell(random));
      const line = csvLine(cells);
      expect(line).toBe(stringify([cells]));
      if (cells.length > 1 || cells[0] !== '') expect(parse(line, { relax_column_count: true })).toEqual([cells]);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { salvageCells } from '../src/source/csv-salvage.js';

describe('salvageCells: a stray-quote line shown in its columns', () => {
  it('keeps the stray quote as text and reads well-formed quoted values', () => {
    expect(salvageCells('Bob,bob@example.com,+14155550101,"stray', ',', 4)).toEqual(['Bob', 'bob@example.com', '+14155550101', '"stray']);
    expect(salvageCells('"Smith, John",a@x.com,"say ""hi""",5" tall', ',', 4)).toEqual(['Smith, John', 'a@x.com', 'say "hi"', '5" tall']);
    expect(salvageCells('a;"b;c;d', ';', 4)).toEqual(['a', '"b', 'c', 'd']);
    expect(salvageCells('a\t\t"', '\t', 3)).toEqual(['a', '', '"']);
  });
  it('gives up rather than shift cells under the wrong header', () => {
    expect(salvageCells('a,b,"c', ',', 4)).toBeUndefined();
    expect(salvageCells('a,b,c,d,"e', ',', 4)).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { detectMapping, MapStage } from '../src/map/index.js';

describe('MapStage sizes the duplicate table for the whole file, a few thousand rows in', () => {
  const mapping = detectMapping(['name', 'email', 'phone', 'identifier']);
  const rows = 40_000;
  const bytesPerRow = 80;

  function run(size: boolean): MapStage {
    let read = 0;
    const stage = new MapStage({ mapping, options: {}, restoreFormulas: false, ...(size ? { size: { fileBytes: rows * bytesPerRow, bytesRead: () => read } } : {}) });
    for (let r = 1; r <= rows; r++) {
      read = r * bytesPerRow;
      const values = [`P ${r}`, `p${r}@example.com`, `+1415${2_000_000 + r}`, `ID-${r}`];
      stage.decide({ kind: 'record', row: r, line: r + 1, values });
    }
    return stage;
  }

  it('reserves once from the share read: the table never doubles afterwards, and no row is lost', () => {
    const sized = run(true) as unknown as { duplicates: { capacity: number; size: number } };
    const grown = run(false) as unknown as { duplicates: { capacity: number; size: number } };
    expect(sized.duplicates.size).toBe(rows * 3);
    expect(grown.duplicates.size).toBe(rows * 3);
    // Sized: keys × 1.1 / 0.75 slots, not the next doubling of 4,096.
    expect(sized.duplicates.capacity).toBeLessThan(grown.duplicates.capacity);
    expect(sized.duplicates.size).toBeLessThanOrEqual(sized.duplicates.capacity * 0.75);
  });
});

// Shared by the source-stage tests: scratch files, and a source read to the end.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openCsvSource, type CsvSourceOptions } from '../../src/source/csv-source.js';
import type { SourceRecord } from '../../src/types.js';

/** A temp folder removed after the test file; `file` writes the next scratch CSV into it. */
export function scratchFiles(prefix: string): { dir: string; file: (content: Uint8Array | string) => string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  return {
    dir,
    file: (content) => {
      const p = join(dir, `f${n++}.csv`);
      writeFileSync(p, content);
      return p;
    },
  };
}

export async function readAll(path: string, opts: CsvSourceOptions = {}) {
  const src = await openCsvSource(path, opts);
  const recs: SourceRecord[] = [];
  for await (const r of src.records) recs.push(r);
  const { delimiter, encoding, encodingReason: reason } = src.format;
  return { header: src.header, delimiter, encoding, reason, recs };
}

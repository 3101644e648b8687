// An output CSV written in whole lines: each write(2) carries one or more whole lines, so a reader
// tailing it never sees half a line. Lines may wait in memory until the end of the event loop's
// turn (see Outputs, which decides when they are written and in what order with the journal);
// close() writes whatever is still waiting.
import { closeSync, writeSync } from 'node:fs';
import { createPrivate, openAppend } from './private-file.js';

/** A cell csv-stringify (default options) would quote: a delimiter, quote or line break inside. */
const NEEDS_QUOTES = /[",\r\n]/;
/** The same test for each other delimiter used so far (a failures file takes its input's). */
const needsQuotesWith = new Map<string, RegExp>([[',', NEEDS_QUOTES]]);

function quoteTest(delimiter: string): RegExp {
  let re = needsQuotesWith.get(delimiter);
  if (!re) {
    re = new RegExp(`["\\r\\n${delimiter.replace(/[\\\]^-]/g, '\\$&')}]`);
    needsQuotesWith.set(delimiter, re);
  }
  return re;
}

/**
 * One CSV record as text, with its line break: byte for byte what csv-stringify writes with its
 * default options (`,` between cells, `"` around a cell holding `,` `"` CR or LF, `""` for a quote
 * inside, LF at the end), without its per-call set-up. test/sinks-csv-line.test.ts checks the two agree.
 * With another `delimiter` (one character), as csv-stringify writes with that `delimiter` option.
 */
export function csvLine(cells: readonly string[], delimiter = ','): string {
  const needsQuotes = delimiter === ',' ? NEEDS_QUOTES : quoteTest(delimiter);
  let line = '';
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i] ?? '';
    if (i > 0) line += delimiter;
    line += needsQuotes.test(c) ? '"' + c.replaceAll('"', '""') + '"' : c;
  }
  return line + '\n';
}

/**
 * Writes all of `text`, looping on a short write (a nearly full disk can take part of a write and
 * refuse the rest, which then throws).
 */
export function writeAllSync(fd: number, text: string): void {
  let off = writeSync(fd, text);
  const total = Buffer.byteLength(text);
  if (off >= total) return;
  const buf = Buffer.from(text, 'utf8');
  while (off < total) off += writeSync(fd, buf, off, total - off);
}

export class CsvLineFile {
  private fd: number | undefined;
  /** Whole lines waiting for flush(). */
  private pending = '';

  private constructor(
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /** A new private file holding just the header: never over an existing file nor through a link (an earlier run's were moved aside). */
  static create(path: string, headerLine: string): CsvLineFile {
    // 0600 exactly: these files hold people's emails and phone numbers.
    const f = new CsvLineFile(path, createPrivate(path));
    f.write(headerLine);
    return f;
  }

  /** An existing file to append to (--resume has already written it anew from the journal): never through a link, made 0600. */
  static append(path: string): CsvLineFile {
    return new CsvLineFile(path, openAppend(path, 'the output file'));
  }

  /** Writes the line (and any waiting before it) now. */
  write(line: string): void {
    this.add(line);
    this.flush();
  }

  /** Queues a whole line for the next flush(). */
  add(line: string): void {
    if (this.fd === undefined) throw new Error(`${this.path} is already closed`);
    this.pending += line;
  }

  /** Characters waiting to be written. */
  get waiting(): number {
    return this.pending.length;
  }

  /** Writes the waiting lines, in one write(2) when the disk takes it whole. */
  flush(): void {
    if (this.pending === '' || this.fd === undefined) return;
    const text = this.pending;
    this.pending = '';
    try {
      writeAllSync(this.fd, text);
    } catch (e) {
      throw new Error(`cannot write ${this.path}: ${(e as Error).message}`);
    }
  }

  /** Forgets the waiting lines (their journal entries could not be written). */
  discard(): void {
    this.pending = '';
  }

  /** Writes what is waiting and closes the file; the file is closed even when that write fails. */
  close(): void {
    if (this.fd === undefined) return;
    try {
      this.flush();
    } finally {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }
}

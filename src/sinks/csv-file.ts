// An output CSV written one whole line per write(2): a reader tailing it never sees half a line,
// a crash loses at most the line being written, and nothing waits in a buffer at exit.
import { closeSync, openSync, writeSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';

/** One CSV record as text, with its line break. */
export function csvLine(cells: readonly string[]): string {
  return stringify([cells as string[]]);
}

export class CsvLineFile {
  private fd: number | undefined;

  private constructor(
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /** A new file holding just the header (an existing one is replaced: the caller checked). */
  static create(path: string, headerLine: string): CsvLineFile {
    // 0600: these files hold people's emails and phone numbers.
    const f = new CsvLineFile(path, openSync(path, 'w', 0o600));
    f.write(headerLine);
    return f;
  }

  /** An existing file to append to (--resume has already repaired it from the journal). */
  static append(path: string): CsvLineFile {
    return new CsvLineFile(path, openSync(path, 'a', 0o600));
  }

  write(line: string): void {
    if (this.fd === undefined) throw new Error(`${this.path} is already closed`);
    try {
      writeSync(this.fd, line);
    } catch (e) {
      throw new Error(`cannot write ${this.path}: ${(e as Error).message}`);
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}

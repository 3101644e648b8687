// A CSV file written one whole line per write(): a person tailing it never sees half a line, and
// the caller waits when the disk is slower than the rows (backpressure).
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { stringify } from 'csv-stringify/sync';

export class CsvFileWriter {
  private readonly stream: WriteStream;
  private failure: Error | undefined;

  constructor(
    readonly path: string,
    header: readonly string[],
  ) {
    // 0600: these files hold people's emails and phone numbers.
    this.stream = createWriteStream(path, { mode: 0o600 });
    this.stream.on('error', (e) => (this.failure = e));
    this.stream.write(stringify([header as string[]]));
  }

  async write(cells: readonly string[]): Promise<void> {
    if (this.failure) throw new Error(`cannot write ${this.path}: ${this.failure.message}`);
    if (!this.stream.write(stringify([cells as string[]]))) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    if (this.stream.closed) return;
    this.stream.end();
    await once(this.stream, 'close');
    if (this.failure) throw new Error(`cannot write ${this.path}: ${this.failure.message}`);
  }
}

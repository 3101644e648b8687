// The input's identity for --resume: a SHA-256 of all of it. A live run reads the file a second
// time for this, beside the import (a few hundred MB/s, off the rows' path); the digest enters the
// journal when it is done, and a resume refuses a file whose digest differs — a changed middle is
// caught as surely as a changed start or end.
//
// Only a regular file has one: a pipe (standard input, a FIFO, `<(…)`) is read once, by the source;
// opening it again would wait for a writer or read nothing. A run on a pipe records no digest, and
// --resume is refused for it before anything is read (source/file.ts, checkStreamInput).
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';

export interface InputDigest {
  sha256: string;
  size: number;
}

export function digestFile(path: string): Promise<InputDigest> {
  return new Promise((resolve, reject) => {
    try {
      if (!statSync(path).isFile()) throw new Error(`${path} is not a regular file (a pipe?): it cannot be read a second time to take its digest`);
    } catch (e) {
      reject(e as Error);
      return;
    }
    const hash = createHash('sha256');
    let size = 0;
    createReadStream(path, { highWaterMark: 1 << 20 })
      .on('data', (chunk: string | Buffer) => {
        size += chunk.length;
        hash.update(chunk);
      })
      .on('error', reject)
      .on('end', () => resolve({ sha256: hash.digest('hex'), size }));
  });
}

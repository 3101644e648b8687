// The input's identity for --resume: a SHA-256 of all of it. A live run reads the file a second
// time for this, beside the import (a few hundred MB/s, off the rows' path); the digest enters the
// journal when it is done, and a resume refuses a file whose digest differs — a changed middle is
// caught as surely as a changed start or end.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export interface InputDigest {
  sha256: string;
  size: number;
}

export function digestFile(path: string): Promise<InputDigest> {
  return new Promise((resolve, reject) => {
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

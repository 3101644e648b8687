// The input file as both readers first meet it: opened once, its size taken and its first bytes
// read (to detect the encoding and delimiter, or to tell a workbook from what only bears its name).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { SourceError } from './errors.js';

export interface FileStart {
  /** The first bytes, at most the number asked for. */
  bytes: Buffer;
  /** The file's size in bytes when it was opened. */
  size: number;
  /** `bytes` is the whole file. */
  wholeFile: boolean;
}

function cannotRead(path: string, e: unknown): SourceError {
  const err = e as NodeJS.ErrnoException;
  const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.message;
  return new SourceError(`cannot read input file ${path}: ${why}`, { cause: e });
}

/** The first `maxBytes` of the file (fewer when it is shorter) and its size. */
export function readStart(path: string, maxBytes: number): FileStart {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw cannotRead(path, e);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new SourceError(`cannot read input file ${path}: it is a folder`);
    const buf = Buffer.alloc(maxBytes);
    let n = 0;
    // A pipe or a slow disk may return less than asked: read until full or end of file.
    for (;;) {
      const got = readSync(fd, buf, n, maxBytes - n, null);
      if (got === 0) return { bytes: buf.subarray(0, n), size: stat.size, wholeFile: true };
      n += got;
      if (n === maxBytes) return { bytes: buf, size: stat.size, wholeFile: false };
    }
  } catch (e) {
    if (e instanceof SourceError) throw e;
    throw cannotRead(path, e);
  } finally {
    closeSync(fd);
  }
}

// A merge: the base file and the log become a new base file, written beside it and renamed into
// place — write a temporary file, fsync it, rename it over the old one, fsync the folder — so a
// crash at any moment leaves the old base (with its log) or the new one, never half of one.
//
// Memory stays bounded at any size: records are copied in 1 MiB stretches, their index entries
// (hash, offset) go to temporary side files, and each index is sorted in passes of at most 1M
// entries (8 MB), each taking one range of hash values.
import { closeSync, constants, fchmodSync, ftruncateSync, fsyncSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BaseFile, BaseMeta } from './base.js';
import { STEP, bloomAdd, bloomWords } from './base.js';
import { BASE_HEAD, BASE_MAGIC, encodeHeader, recHash, recLength, recType, TYPE_RECORD } from './format.js';
import type { LogFile } from './log.js';

const PASS_ENTRIES = 1 << 20;
const CHUNK = 1 << 20;

export interface MergeInput {
  base: BaseFile | undefined;
  log: LogFile | undefined;
  /** Is this base record's contact recorded (or forgotten) again in the log? */
  superseded(buf: Buffer, at: number): boolean;
  /** Sees every record of the old base file before it goes (the store carries its seen marks over). */
  visitBase?(buf: Buffer, at: number, off: number): void;
  /** Is this log record the last of its contact (and not a forget)? */
  latest(buf: Buffer, at: number, off: number): boolean;
}

export type NewBaseMeta = Omit<BaseMeta, 'contacts' | 'recordsEnd' | 'indexAt' | 'indexCount' | 'sparseAt' | 'primaryAt' | 'primaryCount' | 'bloomAt' | 'bloomWords' | 'step' | 'size'>;

/** Buffered positional writes to a file. */
class Out {
  private buf = Buffer.allocUnsafe(CHUNK);
  private len = 0;
  constructor(
    readonly fd: number,
    public pos: number,
  ) {}
  write(src: Buffer, from: number, n: number): void {
    if (this.len + n > this.buf.length) this.flush();
    if (n > this.buf.length) {
      writeAll(this.fd, src.subarray(from, from + n), this.pos);
      this.pos += n;
      return;
    }
    src.copy(this.buf, this.len, from, from + n);
    this.len += n;
    this.pos += n;
  }
  u64(lo: number, hi: number): void {
    if (this.len + 8 > this.buf.length) this.flush();
    this.buf.writeUInt32LE(lo, this.len);
    this.buf.writeUInt32LE(hi, this.len + 4);
    this.len += 8;
    this.pos += 8;
  }
  pad8(): void {
    const n = ((this.pos + 7) & ~7) - this.pos;
    if (n > 0) this.write(ZEROS, 0, n);
  }
  flush(): void {
    writeAll(this.fd, this.buf.subarray(0, this.len), this.pos - this.len);
    this.len = 0;
  }
}
const ZEROS = Buffer.alloc(8);

/** A new file of ours, exactly 0600 whatever the umask; never through a link, never over a file. */
export function openNew(path: string): number {
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  fchmodSync(fd, 0o600);
  return fd;
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}

/** Writes the merged base to `file` (atomically); returns its meta. Throws on any I/O error. */
export function writeBase(file: string, meta: NewBaseMeta, input: MergeInput): BaseMeta {
  const tmp = `${file}.tmp-${process.pid}`;
  const side = `${tmp}-index`;
  const side1 = `${tmp}-primary`;
  for (const p of [tmp, side, side1]) removeQuietly(p);
  const fd = openNew(tmp);
  let sideFd: number | undefined;
  let side1Fd: number | undefined;
  try {
    sideFd = openNew(side);
    side1Fd = openNew(side1);
    // Only this process needs them: gone from the folder even if we crash.
    unlinkSync(side);
    unlinkSync(side1);
    const out = new Out(fd, BASE_HEAD);
    const pairs = new Out(sideFd, 0);
    const firsts = new Out(side1Fd, 0);
    let contacts = 0;
    let entries = 0;
    let primaryCount = 0;
    const copy = (buf: Buffer, at: number): void => {
      const off8 = out.pos / 8;
      if (!Number.isSafeInteger(off8) || off8 > 0xffffffff) throw new Error('state store: base file over 32 GiB');
      out.write(buf, at, recLength(buf, at));
      out.pad8();
      let first = true;
      for (let k = 0; k < 4; k++) {
        const h = recHash(buf, at, k);
        if (h === 0) continue;
        pairs.u64(off8, h);
        entries++;
        if (k > 0 && first) {
          firsts.u64(off8, h);
          primaryCount++;
          first = false;
        }
      }
      contacts++;
    };
    if (input.base) {
      for (const r of input.base.records()) {
        input.visitBase?.(r.buf, r.at, r.off);
        if (!input.superseded(r.buf, r.at)) copy(r.buf, r.at);
      }
    }
    if (input.log) {
      for (const r of input.log.records()) {
        if (recType(r.buf, r.at) === TYPE_RECORD && input.latest(r.buf, r.at, r.off)) copy(r.buf, r.at);
      }
    }
    out.flush();
    pairs.flush();
    firsts.flush();
    const recordsEnd = out.pos;
    const indexAt = recordsEnd;
    const bloom = new Uint32Array(bloomWords(entries));
    const sparse = writeIndex(sideFd, entries, out, bloom);
    const sparseAt = out.pos;
    out.write(Buffer.from(sparse.buffer, sparse.byteOffset, sparse.byteLength), 0, sparse.byteLength);
    const primaryAt = out.pos;
    writeIndex(side1Fd, primaryCount, out);
    const bloomAt = out.pos;
    out.write(Buffer.from(bloom.buffer, bloom.byteOffset, bloom.byteLength), 0, bloom.byteLength);
    out.flush();
    const full: BaseMeta = {
      ...meta,
      contacts,
      recordsEnd,
      indexAt,
      indexCount: entries,
      sparseAt,
      primaryAt,
      primaryCount,
      bloomAt,
      bloomWords: bloom.length,
      step: STEP,
      size: out.pos,
    };
    const head = encodeHeader(BASE_MAGIC, full);
    if (head.length > BASE_HEAD) throw new Error('state store: the scope is too long for the header');
    writeAll(fd, head, 0);
    ftruncateSync(fd, full.size); // an empty store ends inside the header area
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, file);
    syncFolder(dirname(file));
    return full;
  } catch (error) {
    try {
      closeSync(fd);
    } catch {
      /* closed already */
    }
    removeQuietly(tmp);
    throw error;
  } finally {
    if (sideFd !== undefined) closeSync(sideFd);
    if (side1Fd !== undefined) closeSync(side1Fd);
  }
}

/** Sorts the side file's entries into `out`, one range of hashes a pass; returns the sparse index. */
function writeIndex(sideFd: number, total: number, out: Out, bloom?: Uint32Array): Uint32Array {
  const sparse = new Uint32Array(Math.ceil(total / STEP));
  if (total === 0) return sparse;
  const passes = Math.max(1, Math.ceil(total / PASS_ENTRIES));
  let cap = Math.min(total, Math.ceil((total / passes) * 1.1) + 1024);
  let words = new Uint32Array(cap * 2);
  const chunk = Buffer.allocUnsafe(CHUNK);
  let g = 0;
  for (let p = 0; p < passes; p++) {
    const lo = Math.floor((p * 2 ** 32) / passes);
    const hi = p === passes - 1 ? 2 ** 32 : Math.floor(((p + 1) * 2 ** 32) / passes);
    let n = 0;
    for (let pos = 0; pos < total * 8; ) {
      const got = readSync(sideFd, chunk, 0, Math.min(CHUNK, total * 8 - pos), pos);
      if (got === 0) throw new Error('state store: index side file cut short');
      for (let i = 0; i + 8 <= got; i += 8) {
        const h = chunk.readUInt32LE(i + 4);
        if (h < lo || h >= hi) continue;
        if (n === cap) {
          cap *= 2;
          const bigger = new Uint32Array(cap * 2);
          bigger.set(words);
          words = bigger;
        }
        words[2 * n] = chunk.readUInt32LE(i);
        words[2 * n + 1] = h;
        n++;
      }
      pos += got - (got % 8);
    }
    // Little-endian: each pair of words is one u64 (hash high, offset low): a numeric sort orders them.
    const sorted = new BigUint64Array(words.buffer, 0, n).sort();
    for (let i = 0; i < n; i++, g++) {
      const h = words[2 * i + 1]!;
      if (g % STEP === 0) sparse[g / STEP] = h;
      if (bloom) bloomAdd(bloom, h);
    }
    out.write(Buffer.from(sorted.buffer, 0, n * 8), 0, n * 8);
  }
  return sparse;
}

function writeAll(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, position + done);
}

/** fsync of a folder: a rename or a new file in it survives a power loss. */
export function syncFolder(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

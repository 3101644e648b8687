// The log: the night's answers, appended after the base file until the next merge. One entry per
// record()/forgetContact() call, so the records of one call (a contact and the contacts its keys
// were taken from) survive a crash together or not at all:
//   u32 byte length of the records · u32 CRC-32 of them · the records (format.ts, unpadded)
// Replayed at open; the first entry that is cut short or fails its checksum ends the log (a torn
// tail after a kill -9): a writer cuts it off there before appending.
//
// Held in memory only as two typed-array hash tables (u32 hash → u32 offset of the latest record
// in the log): 8 bytes a slot, so a night of a million new contacts costs tens of MB, never
// objects; a merge empties them (the store merges on its own past a size, store.ts).
import { closeSync, fdatasync, fstatSync, ftruncateSync, readSync, writeSync } from 'node:fs';
import { LOG_MAGIC, crc32, decodeHeader, encodeHeader, recLength, recValid } from './format.js';

/** Open addressing, linear probing: u32 key hash → u32 value (0: empty slot). Never shrinks. */
export class HashTable {
  private keys: Uint32Array;
  private vals: Uint32Array;
  private mask: number;
  size = 0;

  constructor(capacity = 1 << 12) {
    this.keys = new Uint32Array(capacity);
    this.vals = new Uint32Array(capacity);
    this.mask = capacity - 1;
  }

  /** The first value under `h` that `accept` takes, or 0. */
  find(h: number, accept: (v: number) => boolean): number {
    const { keys, vals, mask } = this;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const v = vals[i]!;
      if (v === 0) return 0;
      if (keys[i] === h && accept(v)) return v;
    }
  }

  /** Replaces the value under `h` that `same` recognises, or adds one. */
  set(h: number, v: number, same: (old: number) => boolean): void {
    const { keys, vals, mask } = this;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const old = vals[i]!;
      if (old === 0) {
        keys[i] = h;
        vals[i] = v;
        if (++this.size * 4 > this.keys.length * 3) this.grow();
        return;
      }
      if (keys[i] === h && same(old)) {
        vals[i] = v;
        return;
      }
    }
  }

  /** Bytes held. */
  get bytes(): number {
    return this.keys.length * 8;
  }

  private grow(): void {
    const [keys, vals] = [this.keys, this.vals];
    this.keys = new Uint32Array(keys.length * 2);
    this.vals = new Uint32Array(keys.length * 2);
    this.mask = this.keys.length - 1;
    for (let j = 0; j < keys.length; j++) {
      if (vals[j] === 0) continue;
      let i = keys[j]! & this.mask;
      while (this.vals[i] !== 0) i = (i + 1) & this.mask;
      this.keys[i] = keys[j]!;
      this.vals[i] = vals[j]!;
    }
  }
}

export interface LogMeta {
  token: string;
  /** The token of the base file this log extends. */
  base: string;
  created: number;
}

const READ_AHEAD = 512;
/** Unwritten entries are written out past this (and at every commit). */
const FLUSH_AT = 1 << 20;

/** What `LogFile.open` answers for an empty log, or one holding the beginning of a header only. */
export const LOG_HEADER_CUT_SHORT = 'log header cut short';

/** Empty, or the beginning of a log header and nothing more (its magic, then less than a header). */
function headerCutShort(b: Buffer): boolean {
  const size = b.length;
  if (size >= 4096) return false;
  return LOG_MAGIC.startsWith(b.toString('latin1', 0, Math.min(size, 8))) && (size < 24 || b.indexOf(0x7d /* } */, 24) < 0);
}

export class LogFile {
  /** Grows as entries come (up to ~FLUSH_AT): a night that writes nothing keeps 64 KiB. */
  private pending = Buffer.allocUnsafe(64 << 10);
  private pendingLen = 0;
  private rbuf = Buffer.allocUnsafe(64 * 1024);
  /** Where the first entry starts (after the header). */
  private dataStart = 0;

  private constructor(
    private readonly fd: number,
    readonly meta: LogMeta,
    /** Where the written part ends (the next entry's offset, when nothing is pending). */
    private flushedEnd: number,
    private readonly writable: boolean,
  ) {}

  /** A new log in an empty file of ours. */
  static create(fd: number, meta: LogMeta): LogFile {
    const head = encodeHeader(LOG_MAGIC, meta);
    const padded = Buffer.alloc((head.length + 7) & ~7);
    head.copy(padded);
    writeAll(fd, padded, 0);
    const log = new LogFile(fd, meta, padded.length, true);
    log.dataStart = padded.length;
    return log;
  }

  /** An existing log, its header checked; `replay()` then reads its entries. */
  static open(fd: number, writable: boolean): LogFile | string {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(size, 64 << 10));
    readSync(fd, head, 0, head.length, 0);
    const h = decodeHeader(LOG_MAGIC, head);
    // Decided from the bytes read here, not from a second look at the file (a writer may have
    // written the header in between).
    if (typeof h === 'string') return headerCutShort(head) ? LOG_HEADER_CUT_SHORT : h;
    const meta = h.meta as unknown as LogMeta;
    if (typeof meta.token !== 'string' || typeof meta.base !== 'string') return 'log header incomplete';
    // Until replay() has checked the entries, the whole file counts as written (reads go to it).
    const log = new LogFile(fd, meta, size, writable);
    log.dataStart = (h.length + 7) & ~7;
    return log;
  }

  /**
   * Hands every record of every whole entry to `apply` (bytes, position, offset in the log), up to
   * the first entry that is cut short or fails its checksum; a writable log is cut off there.
   */
  replay(apply: (buf: Buffer, at: number, off: number) => void): void {
    const size = this.flushedEnd;
    const fd = this.fd;
    let pos = this.dataStart;
    let buf = Buffer.allocUnsafe(1 << 20);
    let bufStart = -1;
    let bufLen = 0;
    // An entry is taken from `buf` when it lies in it, else the stretch from its start is read.
    const bytesAt = (p: number, n: number): number => {
      if (bufStart >= 0 && p >= bufStart && p + n <= bufStart + bufLen) return p - bufStart;
      if (buf.length < n) buf = Buffer.allocUnsafe(n * 2);
      bufStart = p;
      bufLen = readSync(fd, buf, 0, Math.min(buf.length, size - p), p);
      return n <= bufLen ? 0 : -1;
    };
    while (pos + 8 <= size) {
      let at = bytesAt(pos, 8);
      if (at < 0) break;
      const len = buf.readUInt32LE(at);
      const sum = buf.readUInt32LE(at + 4);
      if (len === 0 || pos + 8 + len > size) break;
      at = bytesAt(pos, 8 + len);
      if (at < 0) break;
      const body = buf.subarray(at + 8, at + 8 + len);
      if (crc32(body) !== sum) break;
      // Every record of the entry must be whole; the checksum vouches for the bytes.
      let ok = true;
      for (let r = 0; r < len; r += recLength(body, r)) {
        if (!recValid(body, r, len - r)) {
          ok = false;
          break;
        }
      }
      if (!ok) break;
      for (let r = 0; r < len; r += recLength(body, r)) apply(body, r, pos + 8 + r);
      pos += 8 + len;
    }
    if (this.writable && pos < size) ftruncateSync(fd, pos);
    this.flushedEnd = pos;
  }

  /** The offset the next appended record will have (inside an entry begun with `begin()`). */
  get end(): number {
    return this.flushedEnd + this.pendingLen;
  }

  /** Bytes in the log, written or pending. */
  get bytes(): number {
    return this.end;
  }

  private entryAt = -1;

  /** Starts an entry; its records follow with `add()`, and `finish()` seals it. */
  begin(): void {
    this.reserve(8);
    this.entryAt = this.pendingLen;
    this.pendingLen += 8;
  }

  /** Adds a record to the open entry; returns its offset in the log. */
  add(rec: Buffer): number {
    this.reserve(rec.length);
    const off = this.end;
    rec.copy(this.pending, this.pendingLen);
    this.pendingLen += rec.length;
    return off;
  }

  finish(): void {
    const start = this.entryAt + 8;
    const body = this.pending.subarray(start, this.pendingLen);
    this.pending.writeUInt32LE(body.length, this.entryAt);
    this.pending.writeUInt32LE(crc32(body), this.entryAt + 4);
    this.entryAt = -1;
    if (this.pendingLen >= FLUSH_AT) this.flush();
  }

  /** Writes what is pending (whole entries only) to the file. Throws on a write error. */
  flush(): void {
    if (this.pendingLen === 0 || this.entryAt >= 0) return;
    if (!this.writable) throw new Error('state store opened read-only');
    writeAll(this.fd, this.pending.subarray(0, this.pendingLen), this.flushedEnd);
    this.flushedEnd += this.pendingLen;
    this.pendingLen = 0;
    this.flushes++;
  }

  /** Writes so far (one a flush that wrote something), and how many of them the disk has for sure. */
  private flushes = 0;
  private synced = 0;
  private inFlight: Promise<void> | undefined;
  private closed = false;

  /** An fdatasync runs on the file now. */
  get busy(): boolean {
    return this.inFlight !== undefined;
  }

  /** Resolves once no fdatasync runs on the file (it must stay open until then). */
  async idle(): Promise<void> {
    while (this.inFlight !== undefined) await this.inFlight.catch(() => undefined);
  }

  /**
   * Flushes, then waits until the disk has it (fdatasync). Callers that come while one runs share
   * the next: a PATCH's commit does not cost a disk flush of its own.
   */
  async sync(): Promise<void> {
    this.flush();
    const target = this.flushes;
    // Closed by a merge: what was written is in the new base file, fsync'ed before the rename.
    while (this.synced < target && !this.closed) {
      if (this.inFlight === undefined) {
        const upTo = this.flushes;
        this.inFlight = new Promise<void>((resolve, reject) => fdatasync(this.fd, (e) => (e ? reject(e) : resolve())))
          .then(() => {
            this.synced = Math.max(this.synced, upTo);
          })
          .finally(() => {
            this.inFlight = undefined;
          });
      }
      await this.inFlight;
    }
  }

  /** The record at `off` (written or pending): bytes valid until the next read. */
  read(off: number): { buf: Buffer; at: number } {
    if (off >= this.flushedEnd) return { buf: this.pending, at: off - this.flushedEnd };
    let got = readSync(this.fd, this.rbuf, 0, Math.min(READ_AHEAD, this.flushedEnd - off), off);
    const total = recLength(this.rbuf, 0);
    if (total > got) {
      if (this.rbuf.length < total) this.rbuf = Buffer.allocUnsafe(total * 2);
      got = readSync(this.fd, this.rbuf, 0, total, off);
      if (got < total) throw new Error(`state store: log record at ${off} cut short`);
    }
    return { buf: this.rbuf, at: 0 };
  }

  /** Every record in the log, in order (after a flush): bytes, position, offset. */
  *records(): Generator<{ buf: Buffer; at: number; off: number }> {
    this.flush();
    let pos = this.dataStart;
    let buf = Buffer.allocUnsafe(1 << 20);
    while (pos < this.flushedEnd) {
      const n = readSync(this.fd, buf, 0, Math.min(buf.length, this.flushedEnd - pos), pos);
      let at = 0;
      while (at + 8 <= n) {
        const len = buf.readUInt32LE(at);
        if (at + 8 + len > n) break;
        for (let r = at + 8; r < at + 8 + len; r += recLength(buf, r)) yield { buf, at: r, off: pos + r };
        at += 8 + len;
      }
      if (at === 0) {
        buf = Buffer.allocUnsafe(Math.max(buf.length * 2, buf.readUInt32LE(0) + 16));
        continue;
      }
      pos += at;
    }
  }

  close(): void {
    this.closed = true;
    closeSync(this.fd);
  }

  private reserve(n: number): void {
    if (this.pendingLen + n <= this.pending.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.pending.length * 2, this.pendingLen + n));
    this.pending.copy(bigger, 0, 0, this.pendingLen);
    this.pending = bigger;
  }
}

function writeAll(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, position + done);
}

export const logSize = (fd: number): number => fstatSync(fd).size;

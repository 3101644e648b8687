// The base file: the store as of its last merge, immutable once renamed into place, read with
// pread (page-cache pages are not counted in the process's resident memory, unlike a mapping).
//
//   [0, 4096)            header: magic, format, JSON (scope, counts, where each part starts)
//   [4096, recordsEnd)   records (format.ts), each starting at a multiple of 8
//   [indexAt, …)         index: indexCount u64 (key hash << 32 | record offset / 8), sorted
//   [sparseAt, …)        every `step`-th hash of the index, loaded at open (250 KB at 1M contacts)
//   [primaryAt, …)       primary index: one u64 a record (hash of its first key: identifier, else
//                        email, else phone), sorted; loaded at open (8 bytes a contact: 8 MB at 1M)
//   [bloomAt, size)      a Bloom filter of every hash in the index (8 bits an entry, 5 probes: ~2 %
//                        false positives), loaded at open (4 MB at 1M contacts)
// The index holds every key of every record (and its ID); the primary index, in memory, answers
// the look-up a known row makes first — its identifier, or its email when it has none — so a known
// row costs one pread (its record), and a key no record has costs none (the Bloom filter says so,
// 98 times in 100). Any other look-up: a binary search in the sparse index, one pread of that
// stretch of the index (1 KiB), one pread of each candidate record. Every candidate is checked
// against the record's own text: exact.
import { closeSync, fstatSync, readSync, statSync } from 'node:fs';
import { StateStoreError } from './files.js';
import { BASE_HEAD, BASE_MAGIC, REC_HEAD, decodeHeader, recLength, recValid } from './format.js';
import type { ScopeRecord } from './scope.js';

export interface BaseMeta {
  scope: ScopeRecord;
  created: number;
  lastWritten?: number;
  /** This base file's own random token; a log names the base it extends. */
  token: string;
  /** The token of the log merged into this base (a log left behind by a crash is recognised). */
  mergedLog?: string;
  contacts: number;
  recordsEnd: number;
  indexAt: number;
  indexCount: number;
  sparseAt: number;
  primaryAt: number;
  primaryCount: number;
  bloomAt: number;
  bloomWords: number;
  step: number;
  size: number;
}

/** Index entries per sparse-index entry. */
export const STEP = 64;
const READ_AHEAD = 512;
const READ_AHEAD_BIG = 64 * 1024;

export class BaseFile {
  private cache = Buffer.allocUnsafe(READ_AHEAD_BIG);
  private cacheStart = 0;
  private cacheEnd = 0;
  private lastOff = -1;
  private readonly ibuf = Buffer.allocUnsafe(2 * STEP * 8);
  private readonly matches: number[] = [];

  private constructor(
    private readonly fd: number,
    readonly meta: BaseMeta,
    private readonly sparse: Uint32Array,
    /** Pairs of u32 (record offset / 8, hash), sorted by hash. */
    private readonly primary: Uint32Array,
    private readonly bloom: Uint32Array,
  ) {
    // directory[t]: the first primary entry whose hash's top 16 bits are t or more.
    const d = new Uint32Array(65537);
    const n = primary.length / 2;
    for (let i = 0, t = 0; t <= 65536; t++) {
      while (i < n && primary[2 * i + 1]! >>> 16 < t) i++;
      d[t] = i;
    }
    this.directory = d;
  }

  private readonly directory: Uint32Array;

  /** Reads and checks a base file's header; `string`: why it is not a base file (or is damaged). */
  static open(fd: number): BaseFile | string {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(size, BASE_HEAD));
    readSync(fd, head, 0, head.length, 0);
    const h = decodeHeader(BASE_MAGIC, head);
    if (typeof h === 'string') return h;
    const m = h.meta as unknown as BaseMeta;
    const num = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
    if (
      !num(m.contacts) || !num(m.recordsEnd) || !num(m.indexAt) || !num(m.indexCount) || !num(m.sparseAt) ||
      !num(m.primaryAt) || !num(m.primaryCount) || !num(m.bloomAt) || !num(m.bloomWords) ||
      m.step !== STEP || typeof m.token !== 'string' || typeof m.scope !== 'object' || m.scope === null
    ) {
      return 'header incomplete';
    }
    const sparseCount = Math.ceil(m.indexCount / STEP);
    if (
      m.size !== size || m.recordsEnd < BASE_HEAD || m.recordsEnd > m.indexAt ||
      m.indexAt + m.indexCount * 8 !== m.sparseAt || m.sparseAt + sparseCount * 4 !== m.primaryAt ||
      m.primaryAt + m.primaryCount * 8 !== m.bloomAt || m.bloomAt + m.bloomWords * 4 !== size ||
      m.primaryCount > m.contacts || m.bloomWords === 0
    ) {
      return `cut short or damaged: ${size} bytes, its header says ${m.size}`;
    }
    const sparse = new Uint32Array(sparseCount);
    if (sparseCount > 0) readSync(fd, sparse, 0, sparseCount * 4, m.sparseAt);
    const primary = new Uint32Array(m.primaryCount * 2);
    const bloom = new Uint32Array(m.bloomWords);
    for (const [a, at] of [[primary, m.primaryAt], [bloom, m.bloomAt]] as const) {
      for (let got = 0; got < a.byteLength; ) {
        const r = readSync(fd, a, got, a.byteLength - got, at + got);
        if (r === 0) return 'cut short';
        got += r;
      }
    }
    return new BaseFile(fd, m, sparse, primary, bloom);
  }

  /**
   * Tonight's seen marks of this file's records, one bit a possible record position (offset ÷ 8):
   * 3 MB at 1M contacts, instead of 8–16 MB of IDs in the seen set. Made on the first mark.
   */
  private seenBits: Uint8Array | undefined;

  markSeen(off: number): void {
    this.seenBits ??= new Uint8Array(Math.ceil(this.meta.recordsEnd / 64) + 1);
    // Arithmetic, not bit shifts: offsets past 4 GiB do not fit 32 bits.
    const i = Math.floor(off / 64);
    this.seenBits[i] = this.seenBits[i]! | (1 << (Math.floor(off / 8) % 8));
  }

  isSeen(off: number): boolean {
    return this.seenBits !== undefined && (this.seenBits[Math.floor(off / 64)]! & (1 << (Math.floor(off / 8) % 8))) !== 0;
  }

  /** false: no record has a key of this hash (no read needed); true: maybe. */
  mayHave(h: number): boolean {
    return bloomHas(this.bloom, h);
  }

  /**
   * The records whose first key hashes to `h` (from memory, no read). Complete for identifiers
   * (an identifier is always its record's first key); for an email or a phone, `candidates()` has
   * the rest.
   */
  primaryCandidates(h: number): number[] {
    const out = this.matches;
    out.length = 0;
    const p = this.primary;
    // The directory narrows the search to the entries sharing the hash's top 16 bits (~15 at 1M
    // contacts, a cache line or two) instead of 20 probes across 8 MB.
    const top = h >>> 16;
    let lo = this.directory[top]!;
    let hi = this.directory[top + 1]!;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (p[2 * mid + 1]! < h) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; 2 * i < p.length && p[2 * i + 1] === h; i++) out.push(p[2 * i]! * 8);
    return out;
  }

  /**
   * The offsets of the records indexed under hash `h` (usually one; more on a collision, each to
   * be checked against the record's text by the caller).
   */
  candidates(h: number): number[] {
    const out = this.matches;
    out.length = 0;
    const { sparse } = this;
    const count = this.meta.indexCount;
    if (count === 0 || !bloomHas(this.bloom, h)) return out;
    // The last stretch whose first hash is below h: entries equal to h start in it or after it.
    let lo = 0;
    let hi = sparse.length - 1;
    let b = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (sparse[mid]! < h) {
        b = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    for (let i = b * STEP; i < count; ) {
      const n = Math.min(2 * STEP, count - i);
      this.readExactly(this.ibuf, n * 8, this.meta.indexAt + i * 8);
      for (let j = 0; j < n; j++) {
        const eh = this.ibuf.readUInt32LE(j * 8 + 4);
        if (eh < h) continue;
        if (eh > h) return out;
        out.push(this.ibuf.readUInt32LE(j * 8) * 8);
      }
      i += n;
    }
    return out;
  }

  /**
   * The record at `off`: its bytes are in the returned buffer at `at`, valid until the next read.
   * Reads follow the file forward when the look-ups do: a rerun of the file that made the store
   * asks for its records in about the order they were written, so after two near reads in a row a
   * 64 KiB stretch is read and the next few hundred records cost no system call.
   */
  read(off: number): { buf: Buffer; at: number } {
    const c = this.cache;
    if (off >= this.cacheStart && off + 4 <= this.cacheEnd) {
      const at = off - this.cacheStart;
      const total = recLength(c, at);
      if (off + total <= this.cacheEnd) return this.checked(c, at, total, off);
    }
    const near = off > this.lastOff && off - this.lastOff <= READ_AHEAD_BIG;
    this.lastOff = off;
    let want = Math.min(near ? READ_AHEAD_BIG : READ_AHEAD, this.meta.recordsEnd - off);
    this.readExactly(c, want, off);
    this.cacheStart = off;
    this.cacheEnd = off + want;
    const total = recLength(c, 0);
    if (total > want) {
      if (off + total > this.meta.recordsEnd) throw new Error(`state store: record at ${off} runs past the records`);
      if (c.length < total) this.cache = Buffer.allocUnsafe(total * 2);
      want = total;
      this.readExactly(this.cache, want, off);
      this.cacheEnd = off + want;
    }
    return this.checked(this.cache, 0, total, off);
  }

  private checked(buf: Buffer, at: number, total: number, off: number): { buf: Buffer; at: number } {
    if (!recValid(buf, at, total)) throw damagedRecord(off);
    return { buf, at };
  }

  /**
   * Every record in file order, read in 1 MiB stretches: (bytes, position, file offset). One object
   * is handed out again and again: use it before the next step.
   */
  *records(): Generator<{ buf: Buffer; at: number; off: number }> {
    const end = this.meta.recordsEnd;
    let buf = Buffer.allocUnsafe(1 << 20);
    const r = { buf, at: 0, off: 0 };
    let pos = BASE_HEAD;
    while (pos < end) {
      const n = Math.min(buf.length, end - pos);
      this.readExactly(buf, n, pos);
      let at = 0;
      while (at < n) {
        if (n - at < 4) break;
        const total = recLength(buf, at);
        // A length that cannot be (a zeroed page: a failing disk) would never move on.
        if (total < REC_HEAD) throw damagedRecord(pos + at);
        if (at + total > n) break;
        if (!recValid(buf, at, total)) throw damagedRecord(pos + at);
        r.buf = buf;
        r.at = at;
        r.off = pos + at;
        yield r;
        at = (at + total + 7) & ~7;
      }
      if (at === 0) {
        // One record larger than the stretch: read it whole.
        const total = recLength(buf, 0);
        if (total <= n || pos + total > end) throw damagedRecord(pos);
        buf = Buffer.allocUnsafe(total * 2);
        continue;
      }
      pos += at;
    }
  }

  /** The file this base was opened from is still the one at `path` (not replaced by a merge since)? */
  isAt(path: string): boolean {
    try {
      const [a, b] = [fstatSync(this.fd), statSync(path)];
      return a.ino === b.ino && a.dev === b.dev;
    } catch {
      return false;
    }
  }

  close(): void {
    closeSync(this.fd);
  }

  private readExactly(buf: Buffer, n: number, position: number): void {
    let got = 0;
    while (got < n) {
      const r = readSync(this.fd, buf, got, n - got, position + got);
      if (r === 0) throw new Error(`state store: base file ends at ${position + got}, ${n - got} bytes short`);
      got += r;
    }
  }
}

// ── the Bloom filter ──────────────────────────────────────────────────────────────────────────
const PROBES = 5;
/** Words of a filter for `n` hashes: 8 bits each (at least 1024 bits). */
export const bloomWords = (n: number): number => Math.max(32, Math.ceil(n / 4));

/** The i-th probe of hash h in a filter of `bits` bits (double hashing). */
function probe(h: number, i: number, bits: number): number {
  const h2 = (Math.imul(h ^ (h >>> 16), 0x9e3779b1) >>> 0) | 1;
  return (h + (Math.imul(i, h2) >>> 0)) % bits;
}

export function bloomAdd(bloom: Uint32Array, h: number): void {
  const bits = bloom.length * 32;
  for (let i = 0; i < PROBES; i++) {
    const b = probe(h, i, bits);
    bloom[b >>> 5] = bloom[b >>> 5]! | (1 << (b & 31));
  }
}

export function bloomHas(bloom: Uint32Array, h: number): boolean {
  const bits = bloom.length * 32;
  for (let i = 0; i < PROBES; i++) {
    const b = probe(h, i, bits);
    if ((bloom[b >>> 5]! & (1 << (b & 31))) === 0) return false;
  }
  return true;
}

const damagedRecord = (off: number): StateStoreError =>
  new StateStoreError(
    `State store: damaged record at byte ${off} of the base file (a disk fault?): ` +
      'point --state elsewhere, or remove the store with `livedesk-import state forget --inbox-id ID` (the next run then decides every row against LiveDesk once)',
    { code: 'state_damaged' },
  );

// What the store knows, as one view over the base file and the log: the log's two hash tables
// (tonight's answers have the last word), then the base file. Every hit is checked against the
// record's own text (store.ts writes; this file only reads and indexes).
import type { BaseFile } from './base.js';
import { KIND_NO, TYPE_RECORD, decode, decodeId, decodeKey, keyHash, recHash, recType, type Rec } from './format.js';
import { HashTable, type LogFile } from './log.js';

export class StoreView {
  /** Contact ID hash → offset in the log of the contact's latest record (or forget). */
  ids = new HashTable();
  /** Key hash (identifier, email, phone; the kind is in the hash) → offset of the latest record holding it. */
  keys = new HashTable();

  constructor(
    public base: BaseFile | undefined,
    public log: LogFile | undefined,
  ) {}

  /** After a merge: the new base, a new (empty) log or none. */
  reset(base: BaseFile | undefined, log: LogFile | undefined): void {
    this.base = base;
    this.log = log;
    this.ids = new HashTable();
    this.keys = new HashTable();
  }

  /** Entries in the log's tables (a merge empties them). */
  get logEntries(): number {
    return this.ids.size + this.keys.size;
  }

  /** Every current record, in the order the store learned them: the base's that the log did not replace, then the log's latest. */
  *records(): Generator<{ buf: Buffer; at: number; off: number; inBase: boolean }> {
    // One object handed out again and again: used before the next step.
    const out: { buf: Buffer; at: number; off: number; inBase: boolean } = { buf: Buffer.alloc(0), at: 0, off: 0, inBase: true };
    if (this.base) {
      for (const r of this.base.records()) {
        if (this.superseded(r.buf, r.at)) continue;
        [out.buf, out.at, out.off] = [r.buf, r.at, r.off];
        yield out;
      }
    }
    out.inBase = false;
    if (this.log) {
      for (const r of this.log.records()) {
        if (recType(r.buf, r.at) !== TYPE_RECORD || !this.isLatest(r.buf, r.at, r.off)) continue;
        [out.buf, out.at, out.off] = [r.buf, r.at, r.off];
        yield out;
      }
    }
  }

  /** Where the base file has this contact's record (whatever the log says of it since). */
  baseOffset(id: string): number | undefined {
    if (this.base === undefined) return undefined;
    for (const off of this.base.candidates(keyHash(0, id))) {
      const { buf, at } = this.base.read(off);
      if (decodeId(buf, at) === id) return off;
    }
    return undefined;
  }

  /** The contact's latest record: the log's last word for it, else the base's (undefined: unknown or forgotten). */
  current(id: string): Rec | undefined {
    const h = keyHash(0, id);
    if (this.ids.size > 0) {
      const off = this.ids.find(h, (o) => this.logId(o) === id);
      if (off !== 0) {
        const { buf, at } = this.log!.read(off);
        return recType(buf, at) === TYPE_RECORD ? decode(buf, at) : undefined;
      }
    }
    if (this.base === undefined) return undefined;
    for (const off of this.base.candidates(h)) {
      const { buf, at } = this.base.read(off);
      if (decodeId(buf, at) === id) return decode(buf, at, off);
    }
    return undefined;
  }

  /** The contact whose latest record holds key `k` = `value`. */
  holder(k: number, value: string): Rec | undefined {
    const h = keyHash(k, value);
    if (this.keys.size > 0) {
      const off = this.keys.find(h, (o) => {
        const { buf, at } = this.log!.read(o);
        return decodeKey(buf, at, k) === value;
      });
      if (off !== 0) {
        const { buf, at } = this.log!.read(off);
        const id = decodeId(buf, at);
        const latest = this.ids.find(keyHash(0, id), (o) => this.logId(o) === id);
        if (latest === off) return decode(buf, at);
        const now = this.log!.read(latest);
        if (recType(now.buf, now.at) === TYPE_RECORD && decodeKey(now.buf, now.at, k) === value) return decode(now.buf, now.at);
      }
    }
    if (this.base === undefined) return undefined;
    // The primary index (in memory) first: a known row's first key is its record's first key.
    const found = this.baseHolder(this.base.primaryCandidates(h), k, value);
    if (found !== undefined || k === KIND_NO.identifier) return found; // an identifier is always first
    return this.baseHolder(this.base.candidates(h), k, value);
  }

  private baseHolder(offsets: number[], k: number, value: string): Rec | undefined {
    for (const off of offsets) {
      const { buf, at } = this.base!.read(off);
      if (decodeKey(buf, at, k) !== value) continue;
      // Recorded again tonight: the log has the last word (and did not give this key to it).
      if (this.superseded(buf, at)) continue;
      return decode(buf, at, off);
    }
    return undefined;
  }

  /** Has the log a later record (or a forget) of this base record's contact? */
  superseded(buf: Buffer, at: number): boolean {
    if (this.ids.size === 0) return false;
    const id = decodeId(buf, at);
    return this.ids.find(recHash(buf, at, 0), (o) => this.logId(o) === id) !== 0;
  }

  /** Is the log record at `off` its contact's last? */
  isLatest(buf: Buffer, at: number, off: number): boolean {
    const id = decodeId(buf, at);
    return this.ids.find(recHash(buf, at, 0), (o) => this.logId(o) === id) === off;
  }

  private logId(off: number): string {
    const { buf, at } = this.log!.read(off);
    return decodeId(buf, at);
  }

  /** The log's tables learn the record at `off` (its bytes at buf[at]): the ID's last word, and each key's. */
  apply(buf: Buffer, at: number, off: number): void {
    const id = decodeId(buf, at);
    const values = [null, decodeKey(buf, at, 1), decodeKey(buf, at, 2), decodeKey(buf, at, 3)];
    const hashes = [0, 1, 2, 3].map((k) => recHash(buf, at, k));
    const isRecord = recType(buf, at) === TYPE_RECORD;
    this.ids.set(hashes[0]!, off, (o) => this.logId(o) === id);
    if (!isRecord) return;
    for (let k = 1; k <= 3; k++) {
      const v = values[k];
      if (v === null || v === undefined) continue;
      this.keys.set(hashes[k]!, off, (o) => {
        const r = this.log!.read(o);
        return decodeKey(r.buf, r.at, k) === v;
      });
    }
  }
}

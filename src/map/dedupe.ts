// Rows of one file that share an email, phone number or identifier with an earlier row. LiveDesk
// would refuse the second one anyway ("has already been taken") or, for phone numbers, which it
// does not index uniquely, store the same person twice; catching it here names the earlier row.
//
// Memory has to stay small for files of millions of rows, so the keys themselves are not kept:
// each key is reduced to a 64-bit fingerprint (two independent 32-bit hashes) stored with the row
// that first had it, in an open-addressing table of typed arrays (12 bytes a slot, no per-key
// object). Two different keys share a fingerprint with probability about n²/2^65 over the whole
// file (n keys): 3 million keys (1M rows × 3) give about 2.4·10⁻⁷. Such a collision would send a
// row to the failures file as a duplicate it is not, where it can be checked and resent; it can
// never merge two contacts.

import { fmix32 } from '../hash32.js';
import type { ContactFields } from '../types.js';

export type DuplicateKey = 'email' | 'phone_number' | 'identifier';

export interface InFileDuplicate {
  /** Which value repeats an earlier row's. */
  key: DuplicateKey;
  /** The repeated value, as normalized. */
  value: string;
  /** The earlier row (as numbered by the source: 1-based data record). */
  firstRow: number;
  /** For the failures file's `_message`: `same email as row 12 (ana@example.com)`. */
  message: string;
}

const KEY_LABEL: Record<DuplicateKey, string> = {
  email: 'email',
  phone_number: 'phone number',
  identifier: 'identifier',
};

/** Keys are hashed as `"e:" + email`, `"p:" + phone`, `"i:" + identifier`, so the kinds never collide. */
const PREFIX: Record<DuplicateKey, number> = { email: 0x65, phone_number: 0x70, identifier: 0x69 };
const COLON = 0x3a;
// Linear probing stays short up to here (about 8 slots looked at for a new key, 2.5 for a repeat).
const MAX_LOAD = 0.75;

/** FNV-1a over UTF-16 code units of prefix + ":" + s, with a final avalanche so every bit mixes. */
function fnv1a(prefix: number, s: string): number {
  let h = 0x811c9dc5;
  h = Math.imul(h ^ prefix, 0x01000193);
  h = Math.imul(h ^ COLON, 0x01000193);
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix32(h);
}

/** MurmurHash3-style mixing of each code unit, a different seed and constants from fnv1a. */
function murmur(prefix: number, s: string): number {
  let h = 0x9747b28c;
  h = murmurStep(h, prefix);
  h = murmurStep(h, COLON);
  for (let i = 0; i < s.length; i++) h = murmurStep(h, s.charCodeAt(i));
  return fmix32(h ^ (s.length + 2));
}

function murmurStep(h: number, unit: number): number {
  let k = Math.imul(unit, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

export class InFileDuplicates {
  /**
   * Slot i is [hi, lo, row + 1] at 3i, 3i + 1, 3i + 2: one cache line holds a slot's three words,
   * so a probe touches one line, not three arrays. Row + 1 = 0 marks an empty slot.
   */
  private slots: Uint32Array;
  private cap: number;
  private count = 0;
  // Per-row scratch, reused so that check() allocates only for a duplicate it reports.
  private readonly kinds: DuplicateKey[] = [];
  private readonly values: string[] = [];
  private readonly his = new Uint32Array(3);
  private readonly los = new Uint32Array(3);

  /** @param initialCapacity slots to start with (at least 8; grows ×2 past 75 % full) */
  constructor(initialCapacity = 4096) {
    this.cap = Math.max(8, Math.ceil(initialCapacity));
    this.slots = new Uint32Array(this.cap * 3);
  }

  /**
   * A key's first slot: its hash scaled to the table ("fastrange"), so any size works, not only
   * powers of two: reserve() can then size the table to the keys, not to the next power of two
   * (which can be almost twice as much).
   */
  private home(lo: number): number {
    return Math.floor((lo / 4294967296) * this.cap);
  }

  /** Keys recorded so far. */
  get size(): number {
    return this.count;
  }

  /** Slots in the table. */
  get capacity(): number {
    return this.cap;
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.slots.byteLength;
  }

  /**
   * Makes room for `keys` keys in all, now, while the table is small: growing late means the old
   * and the new table are both in memory for a moment, half again the table's size at the peak.
   */
  reserve(keys: number): void {
    if (keys > this.cap * MAX_LOAD) this.rehash(Math.ceil(keys / MAX_LOAD));
  }

  /**
   * The first of the row's email (case-insensitive), phone number and identifier that an earlier
   * row had, or undefined, in which case the row's keys are recorded. Pass only valid rows, once
   * each, with their normalized values.
   */
  check(row: number, c: ContactFields): InFileDuplicate | undefined {
    if (!Number.isInteger(row) || row < 1 || row >= 0xffffffff) throw new RangeError(`row must be a whole number from 1, got ${row}`);
    const kinds = this.kinds;
    const values = this.values;
    kinds.length = 0;
    values.length = 0;
    if (c.email !== undefined && c.email !== '') {
      kinds.push('email');
      values.push(c.email.toLowerCase());
    }
    if (c.phone_number !== undefined && c.phone_number !== '') {
      kinds.push('phone_number');
      values.push(c.phone_number);
    }
    if (c.identifier !== undefined && c.identifier !== '') {
      kinds.push('identifier');
      values.push(c.identifier);
    }

    for (let k = 0; k < kinds.length; k++) {
      const prefix = PREFIX[kinds[k]!];
      const value = values[k]!;
      const hi = fnv1a(prefix, value);
      const lo = murmur(prefix, value);
      this.his[k] = hi;
      this.los[k] = lo;
      const firstRow = this.find(hi, lo);
      if (firstRow !== 0) {
        const key = kinds[k]!;
        return { key, value, firstRow, message: `same ${KEY_LABEL[key]} as row ${firstRow} (${value})` };
      }
    }

    if (this.count + kinds.length > this.cap * MAX_LOAD) this.rehash(this.cap * 2);
    for (let k = 0; k < kinds.length; k++) this.insert(this.his[k]!, this.los[k]!, row);
    return undefined;
  }

  /** The row stored for a fingerprint, or 0. */
  private find(hi: number, lo: number): number {
    const slots = this.slots;
    const end = slots.length;
    for (let at = this.home(lo) * 3; ; at = at + 3 === end ? 0 : at + 3) {
      const stored = slots[at + 2]!;
      if (stored === 0) return 0;
      if (slots[at + 1] === lo && slots[at] === hi) return stored - 1;
    }
  }

  private insert(hi: number, lo: number, row: number): void {
    const slots = this.slots;
    const end = slots.length;
    for (let at = this.home(lo) * 3; ; at = at + 3 === end ? 0 : at + 3) {
      if (slots[at + 2] === 0) {
        slots[at] = hi;
        slots[at + 1] = lo;
        slots[at + 2] = row + 1;
        this.count++;
        return;
      }
      // Two keys of one row with the same fingerprint: keep the one slot.
      if (slots[at + 1] === lo && slots[at] === hi) return;
    }
  }

  private rehash(capacity: number): void {
    const old = this.slots;
    while (this.count + 3 > capacity * MAX_LOAD) capacity *= 2;
    this.slots = new Uint32Array(capacity * 3);
    this.cap = capacity;
    this.count = 0;
    for (let at = 0; at < old.length; at += 3) {
      const stored = old[at + 2]!;
      if (stored !== 0) this.insert(old[at]!, old[at + 1]!, stored - 1);
    }
  }
}

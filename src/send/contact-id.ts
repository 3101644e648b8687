// Contact IDs from LiveDesk's answers (create, update, search), checked the same way wherever they
// come from, and the run's record of which row each ID went to.
//
// An ID is written to the results file, the journal and the state store, and later PATCHed by:
// one that is not exactly the server's names another contact (past 2^53 JSON.parse rounds:
// 1152921504606846977 reads as 1152921504606847000). So an ID is either a JSON integer
// that survives JSON.parse exactly (0 ≤ n < 2^53, written as plain digits) or a short opaque
// string of printable ASCII (no spaces, no control characters). Anything else is refused with the
// reason; the row then goes to the failures file, never to the results with a wrong ID.

import { fmix32 } from '../hash32.js';

const MAX_ID_LENGTH = 128;
const OPAQUE = /^[\x21-\x7e]{1,128}$/;

export type IdCheck = { ok: true; id: string } | { ok: false; why: string };

/**
 * The `"id":` numbers of a raw JSON body that JSON.parse cannot give back as written: a fraction or
 * exponent (`5.0000000000000001` parses as 5, another contact's ID), or digits past 2^53. Keyed by
 * the number JSON.parse made of them, with the text as written. Empty for an ordinary body: one
 * quick scan, no allocation.
 */
export function inexactIds(raw: string): ReadonlyMap<number, string> {
  if (!MAYBE_INEXACT.test(raw)) return NONE;
  const found = new Map<number, string>();
  for (const m of raw.matchAll(ID_NUMBER)) {
    const token = m[1]!;
    const exact = /^(0|[1-9]\d*)$/.test(token) && Number.isSafeInteger(Number(token));
    if (!exact) found.set(Number(token), token);
  }
  return found;
}

const NONE: ReadonlyMap<number, string> = new Map();
// A JSON string cannot hold an unescaped quote, so `"id":` only ever matches a real key named id.
const ID_NUMBER = /"id"\s*:\s*(-?\d[\d.eE+-]*)/g;
const MAYBE_INEXACT = /"id"\s*:\s*-?(?:\d*[.eE]|\d{16})/;

/** Checks one ID value from a parsed answer; `inexact` is inexactIds() of the same body. */
export function checkContactId(value: unknown, inexact: ReadonlyMap<number, string> = NONE): IdCheck {
  if (typeof value === 'number') {
    const written = inexact.get(value);
    if (written !== undefined) return { ok: false, why: `the ID is written ${clipId(written)}, which a JSON number cannot hold exactly (read as one, it would name another contact)` };
    if (!Number.isSafeInteger(value)) return { ok: false, why: `the ID ${value} is beyond 2^53, where JSON numbers lose digits (it may be another contact's ID)` };
    if (value < 0) return { ok: false, why: `the ID ${value} is negative` };
    return { ok: true, id: String(value) };
  }
  if (typeof value === 'string') {
    if (OPAQUE.test(value)) return { ok: true, id: value };
    if (value.length === 0) return { ok: false, why: 'the ID is an empty string' };
    if (value.length > MAX_ID_LENGTH) return { ok: false, why: `the ID is a string of ${value.length} characters (an ID has at most ${MAX_ID_LENGTH})` };
    return { ok: false, why: `the ID "${clipId(value)}" holds a space, a control character or non-ASCII text` };
  }
  if (value === undefined || value === null) return { ok: false, why: 'there is no ID' };
  return { ok: false, why: `the ID is ${Array.isArray(value) ? 'a list' : `a ${typeof value}`}, not a number or a string` };
}

/** For messages: an ID as text, short and on one line (JSON.stringify escapes the control characters). */
function clipId(s: string): string {
  const cut = s.length > 40 ? s.slice(0, 40) + '…' : s;
  return cut.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// ---------------------------------------------------------------------------------------------
// Which row each ID went to in this run.
//
// A create makes a new contact, so a create answered with an ID this run already recorded (for
// another row, created or found) is a server or a proxy answering wrongly: the row is failed as
// `id_reused`. IDs found by search are only recorded, never flagged: two rows of a file may
// rightly be one LiveDesk contact (one row has its email, the other its phone; identity.ts judged
// both the same), and --on-existing decides what that means.
//
// Bounded memory: no string is kept. An ID is a 64-bit fingerprint (exact for integer IDs, which
// fit in 53 bits; two 32-bit hashes for a string ID, one bit set apart so the two kinds never
// meet), stored with its row in one open-addressing table of 32-bit words, 12 bytes a slot, grown
// at 3/4 full: a million IDs take 2^21 slots, 24 MiB. Two different string IDs share a fingerprint
// with probability about n²/2^64 (3·10⁻⁸ for a million); that would fail a row as id_reused,
// where it can be checked and resent, never record a wrong ID.

const MAX_LOAD = 0.75;
const TWO_32 = 2 ** 32;

export class ContactIds {
  /** Slot i is [hi, lo, row + 1] at 3i…3i+2; row + 1 = 0 marks an empty slot. */
  private slots = new Uint32Array(3 * 1024);
  private mask = 1023;
  private count = 0;

  /** IDs recorded. */
  get size(): number {
    return this.count;
  }

  /**
   * A create answered `id` for `row`: records it, and returns the earlier row the same ID went to
   * in this run, if another row had it (the same row again, as after a resend, is not flagged).
   */
  claim(id: string, row: number): number | undefined {
    const earlier = this.put(id, row);
    return earlier === undefined || earlier === row ? undefined : earlier;
  }

  /** Records an ID LiveDesk gave for `row` by search or update: never flagged. */
  note(id: string, row: number): void {
    this.put(id, row);
  }

  /** Inserts (id → row) unless present; returns the row already recorded, if any. */
  private put(id: string, row: number): number | undefined {
    const [hi, lo] = fingerprint(id);
    let i = slotOf(hi, lo) & this.mask;
    const s = this.slots;
    for (;;) {
      const at = 3 * i;
      const stored = s[at + 2]!;
      if (stored === 0) break;
      if (s[at] === hi && s[at + 1] === lo) return stored - 1;
      i = (i + 1) & this.mask;
    }
    const at = 3 * i;
    s[at] = hi;
    s[at + 1] = lo;
    s[at + 2] = row + 1;
    if (++this.count > MAX_LOAD * (this.mask + 1)) this.grow();
    return undefined;
  }

  private grow(): void {
    const old = this.slots;
    const size = 2 * (this.mask + 1);
    this.slots = new Uint32Array(3 * size);
    this.mask = size - 1;
    for (let at = 0; at < old.length; at += 3) {
      if (old[at + 2] === 0) continue;
      let i = slotOf(old[at]!, old[at + 1]!) & this.mask;
      while (this.slots[3 * i + 2] !== 0) i = (i + 1) & this.mask;
      this.slots.set(old.subarray(at, at + 3), 3 * i);
    }
  }
}

/** [hi, lo]: an integer ID exactly (hi < 2^21), any other string as two hashes with hi's top bit set. */
function fingerprint(id: string): [number, number] {
  if (/^(0|[1-9]\d{0,15})$/.test(id)) {
    const n = Number(id);
    if (Number.isSafeInteger(n)) return [Math.floor(n / TWO_32), n >>> 0];
  }
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ Math.imul(c, 0xcc9e2d51), 0x1b873593);
    b = (b << 13) | (b >>> 19);
  }
  return [(fmix32(a) | 0x80000000) >>> 0, fmix32(b ^ id.length)];
}

function slotOf(hi: number, lo: number): number {
  return fmix32(lo ^ Math.imul(hi, 0x9e3779b1));
}

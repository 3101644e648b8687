// The bytes of the state store: one record encoding shared by the base file and the log, the key
// hashes the indexes use, and the headers of both files. docs/state-store.md, "The file format".
//
// A record (little-endian; the same bytes in the base file and in the log):
//   u32 total length · u8 type (1 record, 2 forget) · 3 bytes zero · f64 updatedAt (ms)
//   u32 × 4  hashes of the keys: ID, identifier, email, phone (0 when the key is absent)
//   u32 × 5  byte lengths: ID, fingerprint, identifier, email, phone (0: absent)
//   the five strings in UTF-8
// The hashes are there so that a merge builds the new index without decoding any string.
import { crc32 } from 'node:zlib';

export interface KnownContact {
  /** LiveDesk contact ID, as text. */
  id: string;
  /** Hash of the fields last sent (computed by the caller; opaque here). */
  fingerprint: string;
  identifier?: string;
  /** Lower-cased, as LiveDesk holds it. */
  email?: string;
  phone_number?: string;
  /** ms since epoch, set by the store when written. */
  updatedAt?: number;
}

export type ContactKeys = { identifier?: string; email?: string; phone_number?: string };
export type KeyKind = keyof ContactKeys;
export type FoundContacts = { identifier?: KnownContact; email?: KnownContact; phone_number?: KnownContact };

export const KINDS: readonly KeyKind[] = ['identifier', 'email', 'phone_number'];
/** Index kinds: 0 the contact ID, 1–3 its keys (the record's field of the same number). */
export const KIND_NO: Record<KeyKind, 1 | 2 | 3> = { identifier: 1, email: 2, phone_number: 3 };

export const TYPE_RECORD = 1;
export const TYPE_FORGET = 2;
export const REC_HEAD = 52;
const HASHES_AT = 16;
const LENGTHS_AT = 32;

/** A decoded record. `keys[0]` is the ID; keys[1..3] identifier, email, phone (null: absent). */
export interface Rec {
  type: number;
  updatedAt: number;
  id: string;
  fingerprint: string;
  keys: [string, string | null, string | null, string | null];
  /** Where it is in the base file; -1 when it was read from the log. */
  off: number;
}

/** Emails are compared lower-cased (LiveDesk keeps them so); identifiers and phones exactly. */
export const normalizeKey = (kind: KeyKind, value: string): string => wellFormed(kind === 'email' ? value.toLowerCase() : value);

/** UTF-8 cannot carry a lone surrogate: store and look up the text as it will read back. */
export const wellFormed = (s: string): string => {
  const w = s as unknown as { isWellFormed(): boolean; toWellFormed(): string }; // ES2024, in Node 20
  return w.isWellFormed() ? s : w.toWellFormed();
};

const SEEDS = [0x9e3779b9, 0x85ebca6b, 0xc2b2ae35, 0x27d4eb2f];

/**
 * A 32-bit hash of a key of one kind (the kind is in the seed, so an email and an identifier of the
 * same text land apart). Never 0: 0 means "absent" in a record. Every hit is checked against the
 * record's own text, so a collision costs a read, never a wrong answer.
 */
export function keyHash(kind: number, s: string): number {
  let h = SEEDS[kind]! ^ s.length;
  for (let i = 0; i < s.length; i++) {
    h = Math.imul(h ^ s.charCodeAt(i), 0x5bd1e995);
    h ^= h >>> 15;
  }
  h = Math.imul(h ^ (h >>> 13), 0x85ebca6b);
  h ^= h >>> 16;
  return h >>> 0 || 1;
}

let scratch = Buffer.allocUnsafe(4096);

/** Encodes a record (or a forget, with only the ID) into a shared scratch buffer: copy it before the next call. */
export function encode(type: number, updatedAt: number, id: string, fingerprint: string, k1: string | null, k2: string | null, k3: string | null): Buffer {
  const strs = [id, fingerprint, k1 ?? '', k2 ?? '', k3 ?? ''];
  const lens = strs.map((s) => Buffer.byteLength(s, 'utf8'));
  const total = REC_HEAD + lens.reduce((a, b) => a + b, 0);
  if (scratch.length < total) scratch = Buffer.allocUnsafe(Math.max(total, scratch.length * 2));
  const b = scratch;
  b.writeUInt32LE(total, 0);
  b.writeUInt32LE(type, 4); // type byte + 3 zero bytes
  b.writeDoubleLE(updatedAt, 8);
  b.writeUInt32LE(keyHash(0, id), HASHES_AT);
  const keys = [k1, k2, k3];
  for (let k = 0; k < 3; k++) b.writeUInt32LE(keys[k] === null ? 0 : keyHash(k + 1, keys[k]!), HASHES_AT + 4 + 4 * k);
  let at = REC_HEAD;
  for (let i = 0; i < 5; i++) {
    b.writeUInt32LE(lens[i]!, LENGTHS_AT + 4 * i);
    at += b.write(strs[i]!, at, 'utf8');
  }
  return b.subarray(0, total);
}

/** The record's total length, read from its first bytes. */
export const recLength = (b: Buffer, at: number): number => b.readUInt32LE(at);
export const recType = (b: Buffer, at: number): number => b[at + 4]!;
/** The hash of index kind `k` (0 = ID) stored in the record; 0 when absent. */
export const recHash = (b: Buffer, at: number, k: number): number => b.readUInt32LE(at + HASHES_AT + 4 * k);

/** Is this a well-formed record of `avail` bytes or fewer (lengths add up, type known)? */
export function recValid(b: Buffer, at: number, avail: number): boolean {
  if (avail < REC_HEAD) return false;
  const total = b.readUInt32LE(at);
  if (total < REC_HEAD || total > avail) return false;
  const type = b[at + 4];
  if (type !== TYPE_RECORD && type !== TYPE_FORGET) return false;
  let sum = REC_HEAD;
  for (let i = 0; i < 5; i++) sum += b.readUInt32LE(at + LENGTHS_AT + 4 * i);
  return sum === total;
}

export function decode(b: Buffer, at: number, off = -1): Rec {
  const strs: string[] = [];
  let p = at + REC_HEAD;
  for (let i = 0; i < 5; i++) {
    const n = b.readUInt32LE(at + LENGTHS_AT + 4 * i);
    strs.push(n === 0 ? '' : b.toString('utf8', p, p + n));
    p += n;
  }
  const orNull = (s: string): string | null => (s === '' ? null : s);
  return { type: b[at + 4]!, updatedAt: b.readDoubleLE(at + 8), id: strs[0]!, fingerprint: strs[1]!, keys: [strs[0]!, orNull(strs[2]!), orNull(strs[3]!), orNull(strs[4]!)], off };
}

/** One key of a record: 0 the ID, 1 identifier, 2 email, 3 phone (null: absent). */
export function decodeKey(b: Buffer, at: number, k: number): string | null {
  const field = k === 0 ? 0 : k + 1;
  let p = at + REC_HEAD;
  for (let i = 0; i < field; i++) p += b.readUInt32LE(at + LENGTHS_AT + 4 * i);
  const n = b.readUInt32LE(at + LENGTHS_AT + 4 * field);
  return n === 0 ? null : b.toString('utf8', p, p + n);
}

/** Only the ID of a record (the cheapest check of "is this the contact I mean"). */
export function decodeId(b: Buffer, at: number): string {
  const n = b.readUInt32LE(at + LENGTHS_AT);
  return b.toString('utf8', at + REC_HEAD, at + REC_HEAD + n);
}

export function toContact(r: Rec): KnownContact {
  const c: KnownContact = { id: r.id, fingerprint: r.fingerprint, updatedAt: r.updatedAt };
  if (r.keys[1] !== null) c.identifier = r.keys[1];
  if (r.keys[2] !== null) c.email = r.keys[2];
  if (r.keys[3] !== null) c.phone_number = r.keys[3];
  return c;
}

// ── headers ──────────────────────────────────────────────────────────────────────────────────
// Both files start with 8 magic bytes, u32 format, u32 JSON length, u32 CRC-32 of the JSON, u32 0,
// then the JSON. The base file's header area is a fixed 4 KiB (written last, over the zeros).

export const BASE_MAGIC = 'LDISTORE';
export const LOG_MAGIC = 'LDISTLOG';
export const FORMAT = 2;
export const BASE_HEAD = 4096;

export function encodeHeader(magic: string, meta: object): Buffer {
  const json = Buffer.from(JSON.stringify(meta), 'utf8');
  const b = Buffer.alloc(24 + json.length);
  b.write(magic, 0, 'latin1');
  b.writeUInt32LE(FORMAT, 8);
  b.writeUInt32LE(json.length, 12);
  b.writeUInt32LE(crc32(json), 16);
  json.copy(b, 24);
  return b;
}

/** The header's JSON, or why it cannot be read. `size`: the header area read (its first bytes). */
export function decodeHeader(magic: string, b: Buffer): { meta: Record<string, unknown>; length: number } | string {
  if (b.length < 24 || b.toString('latin1', 0, 8) !== magic) return 'not a livedesk-import state file';
  const format = b.readUInt32LE(8);
  if (format !== FORMAT) return format > FORMAT ? `written by a newer livedesk-import (format ${format})` : `unknown format ${format}`;
  const n = b.readUInt32LE(12);
  if (24 + n > b.length) return 'header cut short';
  const json = b.subarray(24, 24 + n);
  if (crc32(json) !== b.readUInt32LE(16)) return 'header checksum does not match';
  try {
    return { meta: JSON.parse(json.toString('utf8')) as Record<string, unknown>, length: 24 + n };
  } catch {
    return 'header unreadable';
  }
}

export { crc32 };
export const align8 = (n: number): number => (n + 7) & ~7;

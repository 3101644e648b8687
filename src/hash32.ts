// 32-bit hashing helpers shared by the in-memory tables that keep fingerprints instead of keys
// (map/dedupe.ts: keys repeated within a file; send/contact-id.ts: IDs given to two rows).

/** MurmurHash3's finalizer: every input bit affects every output bit. Unsigned 32-bit result. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

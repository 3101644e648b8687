// Which row numbers are done, one bit a row: a million rows cost 125 KB, not a Set's ~40 MB.
export class RowSet {
  private bits = new Uint8Array(1024);
  private count = 0;
  /** The largest row ever added (0 when none). */
  highest = 0;

  add(row: number): void {
    const byte = row >>> 3;
    if (byte >= this.bits.length) {
      let size = this.bits.length;
      while (size <= byte) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.bits);
      this.bits = grown;
    }
    if (row > this.highest) this.highest = row;
    const mask = 1 << (row & 7);
    if ((this.bits[byte]! & mask) === 0) {
      this.bits[byte]! |= mask;
      this.count++;
    }
  }

  delete(row: number): void {
    const byte = row >>> 3;
    const mask = 1 << (row & 7);
    if (byte < this.bits.length && (this.bits[byte]! & mask) !== 0) {
      this.bits[byte]! &= ~mask;
      this.count--;
    }
  }

  has(row: number): boolean {
    const byte = row >>> 3;
    return byte < this.bits.length && (this.bits[byte]! & (1 << (row & 7))) !== 0;
  }

  get size(): number {
    return this.count;
  }
}

// The contact IDs marked as present in tonight's file, kept small: LiveDesk's IDs are integers,
// so a million of them take 8 MB in one typed array (a Set of strings would take ~60 MB). Any
// other ID text goes into a plain Set.

/** Decimal integers without a leading zero, exactly representable as a double. */
const NUMERIC_ID = /^(?:0|[1-9]\d{0,14})$/;

export class SeenSet {
  private nums = new Float64Array(1024);
  private n = 0;
  /** nums[0..sortedUpTo) is sorted and without repeats. */
  private sortedUpTo = 0;
  private readonly others = new Set<string>();
  private lastAdded: string | undefined;

  add(id: string): void {
    // A row's keys lead to the same contact two or three times in a row: keep one mark.
    if (id === this.lastAdded) return;
    this.lastAdded = id;
    if (NUMERIC_ID.test(id)) {
      if (this.n === this.nums.length) {
        // Full: a contact is marked once by its row's look-up and again by its outcome, so the
        // repeats go first (sorted in place); the array grows only when that did not free a quarter.
        this.settle();
        if (this.n * 4 > this.nums.length * 3) {
          const bigger = new Float64Array(this.nums.length * 2);
          bigger.set(this.nums.subarray(0, this.n));
          this.nums = bigger;
        }
      }
      this.nums[this.n++] = Number(id);
    } else {
      this.others.add(id);
    }
  }

  has(id: string): boolean {
    if (!NUMERIC_ID.test(id)) return this.others.has(id);
    this.settle();
    const x = Number(id);
    let lo = 0;
    let hi = this.sortedUpTo - 1;
    const a = this.nums;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = a[mid]!;
      if (v === x) return true;
      if (v < x) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  /** Sorts and removes repeats (after marks added since the last look-up). */
  private settle(): void {
    if (this.sortedUpTo === this.n) return;
    const a = this.nums.subarray(0, this.n).sort();
    let w = 0;
    for (let r = 0; r < a.length; r++) {
      if (w === 0 || a[r] !== a[w - 1]) a[w++] = a[r]!;
    }
    this.n = w;
    this.sortedUpTo = w;
  }

  clear(): void {
    this.nums = new Float64Array(1024);
    this.n = 0;
    this.sortedUpTo = 0;
    this.lastAdded = undefined;
    this.others.clear();
  }
}

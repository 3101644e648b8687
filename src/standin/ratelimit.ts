// A sliding one-second window over accepted API requests.

const WINDOW_MS = 1000;

export type Admission = { ok: true } | { ok: false; waitMs: number };

export class SlidingWindow {
  // Only accepted requests are remembered: a client that keeps hammering still gets in again as
  // soon as its earlier successes age out, which keeps Retry-After truthful.
  private stamps: number[] = [];

  constructor(private limit: number) {}

  setLimit(limit: number): void {
    this.limit = limit;
  }

  admit(now: number): Admission {
    if (this.limit <= 0) return { ok: true };
    while (this.stamps.length > 0 && (this.stamps[0] ?? 0) <= now - WINDOW_MS) this.stamps.shift();
    if (this.stamps.length < this.limit) {
      this.stamps.push(now);
      return { ok: true };
    }
    const oldest = this.stamps[this.stamps.length - this.limit] ?? now;
    return { ok: false, waitMs: oldest + WINDOW_MS - now };
  }

  clear(): void {
    this.stamps = [];
  }
}

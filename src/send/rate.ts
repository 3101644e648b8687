// Request pacing. p-queue's interval option limits when *tasks* start, but a row's retries happen
// inside its task, so every HTTP request (first tries, retries, look-ups) takes a slot here
// instead. Slots are spaced evenly (1/rate apart), which never bursts across a window edge.
//
// The rate adapts: a 429 sets it just under the rate LiveDesk actually accepted over the last
// second (its real limit), or cuts it by a share when too little was seen to measure; successes
// win it back additively up to --rate, probing for more. So a run whose --rate is above the
// server's limit settles at that limit instead of burning retries, or sagging far below it.
import { sleep } from './backoff.js';

export interface AdaptiveOptions {
  /** Share of the rate kept after a 429. */
  decrease: number;
  /** Rate regained per second of successes, as a share of the maximum. */
  recoverPerSecond: number;
  /** Never slower than this (requests/s). */
  floor: number;
}

const DEFAULT_ADAPTIVE: AdaptiveOptions = { decrease: 0.7, recoverPerSecond: 0.05, floor: 0.2 };
/** Share of the measured accepted rate to settle at after a 429. */
const BELOW_MEASURED = 0.97;
const WINDOW_MS = 1000;
/** A slot free now: nothing to wait for. */
const NOW: Promise<void> = Promise.resolve();

export class RatePacer {
  private next = 0;
  private rate: number;
  private lastCut = -Infinity;
  private readonly adaptive: AdaptiveOptions;
  /** When recent successes happened (a ring): the accepted rate over the last second. */
  private readonly okTimes = new Float64Array(8192);
  private okCount = 0;

  constructor(
    private readonly maxRate: number,
    private readonly now: () => number = () => performance.now(),
    adaptive: Partial<AdaptiveOptions> = {},
  ) {
    this.rate = maxRate;
    this.adaptive = { ...DEFAULT_ADAPTIVE, ...adaptive };
  }

  /** Requests a second allowed now. */
  get current(): number {
    return this.rate;
  }

  /** Resolves when the caller may send; reserves the slot synchronously so callers queue fairly. */
  take(signal?: AbortSignal): Promise<void> {
    const t = this.now();
    const slot = Math.max(t, this.next);
    this.next = slot + 1000 / this.rate;
    return slot > t ? sleep(slot - t, signal) : NOW;
  }

  /** Push every later slot back (the server asked us to wait). */
  pauseFor(ms: number): void {
    this.next = Math.max(this.next, this.now() + ms);
  }

  /** A 429: slow down. Requests already in flight when the first 429 came back answer 429 too, so
   *  cut at most once per current gap-window to avoid collapsing the rate on one burst. */
  throttled(): void {
    const t = this.now();
    if (t - this.lastCut < Math.max(1000, 4000 / this.rate)) return;
    this.lastCut = t;
    const accepted = this.acceptedPerSecond(t);
    // Trust the measurement only when a second's worth of answers was seen at all.
    const target = accepted >= 5 ? Math.min(this.rate, accepted * BELOW_MEASURED) : this.rate * this.adaptive.decrease;
    this.rate = Math.max(Math.min(this.adaptive.floor, this.maxRate), Math.max(target, this.rate * 0.5));
  }

  private acceptedPerSecond(t: number): number {
    const size = this.okTimes.length;
    let n = 0;
    for (let i = this.okCount - 1; i >= 0 && i >= this.okCount - size; i--) {
      if (this.okTimes[i % size]! < t - WINDOW_MS) break;
      n++;
    }
    return (n * 1000) / WINDOW_MS;
  }

  /** A request that was not throttled: win back a little of the rate. */
  succeeded(): void {
    this.okTimes[this.okCount++ % this.okTimes.length] = this.now();
    if (this.rate >= this.maxRate) return;
    // Per success, so that per second (≈ rate successes) the gain is recoverPerSecond × max.
    this.rate = Math.min(this.maxRate, this.rate + (this.adaptive.recoverPerSecond * this.maxRate) / this.rate);
  }
}

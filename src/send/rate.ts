// Request pacing. p-queue's interval option limits when *tasks* start, but a row's retries happen
// inside its task, so every HTTP request (first tries and retries alike) takes a slot here
// instead. Slots are spaced evenly (1/rate apart), which never bursts across a window edge.
import { sleep } from './backoff.js';

export class RatePacer {
  private next = 0;
  private readonly gapMs: number;

  constructor(
    requestsPerSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.gapMs = 1000 / requestsPerSecond;
  }

  /** Resolves when the caller may send; reserves the slot synchronously so callers queue fairly. */
  async take(signal?: AbortSignal): Promise<void> {
    const t = this.now();
    const slot = Math.max(t, this.next);
    this.next = slot + this.gapMs;
    if (slot > t) await sleep(slot - t, signal);
  }

  /** Push every later slot back (the server asked us to wait). */
  pauseFor(ms: number): void {
    this.next = Math.max(this.next, this.now() + ms);
  }
}

// Stopping a run: the first reason wins and is said once. Reasons come from outside (Ctrl-C,
// SIGTERM), from LiveDesk (credentials refused, inbox unknown: `fatal`), from the files (one cannot
// be read further or written), and from the outage breaker below. Rows not sent by then are
// `notSent`, for --resume.
import { setMaxListeners } from 'node:events';
import { isDataError, isOutage } from '../errors.js';
import type { Logger } from '../log.js';
import type { Outcome } from '../types.js';

export class Stopper {
  private readonly controller = new AbortController();
  private consecutiveOutage = 0;
  reason: string | undefined;

  /**
   * @param maxConsecutiveFailures rows in a row that fail for an outage reason (network, timeout,
   *   5xx, 429 after every retry) before the run stops: LiveDesk is down, not the rows. 0 = never.
   */
  constructor(
    private readonly log: Logger,
    private readonly maxConsecutiveFailures: number,
    external?: AbortSignal,
  ) {
    // Every pending wait (pacing, backoff) listens for the stop: many at once is normal here.
    setMaxListeners(0, this.controller.signal);
    if (external) {
      const onAbort = (): void => this.stop(String(external.reason ?? 'stopped'), false);
      if (external.aborted) onAbort();
      else {
        external.addEventListener('abort', onAbort, { once: true });
        this.detach = () => external.removeEventListener('abort', onAbort);
      }
    }
  }

  /** Stops listening to the outside signal (the run is over). */
  detach: () => void = () => {};

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get stopped(): boolean {
    return this.controller.signal.aborted;
  }

  /** Stops the run; the first reason is kept and (unless the person asked for the stop) logged as an error. */
  stop(reason: string, logIt = true): void {
    if (this.stopped) return;
    this.reason = reason;
    if (logIt) this.log.error(reason);
    this.controller.abort(reason);
  }

  /** The outage breaker: reads every outcome, trips on a run of outage failures. */
  observe(o: Outcome): void {
    if (o.kind === 'failed' && isOutage(o.code)) {
      this.consecutiveOutage++;
      if (this.maxConsecutiveFailures > 0 && this.consecutiveOutage >= this.maxConsecutiveFailures) {
        this.stop(`${this.consecutiveOutage} rows in a row failed with network or server errors (last: ${o.message}); LiveDesk may be down or unreachable`);
      }
    } else if ((o.kind === 'failed' && !isDataError(o.code)) || o.kind === 'created' || o.kind === 'existing' || o.kind === 'updated') {
      // An answer from LiveDesk ends the run of outages; a row the file alone failed says nothing.
      this.consecutiveOutage = 0;
    }
  }
}

// The state store as a sink (issue 13): what LiveDesk answered enters it — a contact created,
// found or updated, with its keys, its ID and a fingerprint of the fields sent — and nothing else:
// never a dry run (which gets no StateSink), never a row still in flight. Committed every few
// seconds and at the end, so a kill -9 leaves the store behind LiveDesk, never ahead of it.
import { fingerprint } from '../send/known.js';
import { StateStoreError, type StateStore } from '../state/store.js';
import type { Outcome } from '../types.js';

const COMMIT_EVERY_MS = 2000;

export class StateSink {
  private readonly timer: NodeJS.Timeout;
  private committing: Promise<void> = Promise.resolve();

  private stopped = false;

  /**
   * `stop`: ends the run with a reason (the run's stopper). A store write that fails while a row
   * is settled stops the run with the store's message; the row keeps the outcome it already has
   * in the output files (LiveDesk did answer), so it is never settled, nor counted, twice.
   */
  constructor(
    private readonly store: StateStore,
    private readonly stop: (reason: string) => void = () => undefined,
  ) {
    this.timer = setInterval(() => {
      this.committing = this.committing.then(() => this.store.commit()).catch(() => undefined);
    }, COMMIT_EVERY_MS);
    this.timer.unref();
  }

  take(o: Outcome): void {
    try {
      this.record(o);
    } catch (error) {
      if (!(error instanceof StateStoreError)) throw error;
      if (!this.stopped) this.stop(error.message);
      this.stopped = true;
    }
  }

  private record(o: Outcome): void {
    switch (o.kind) {
      case 'created':
      case 'updated':
        // LiveDesk now holds what was sent; a search's keys (a created row settled by search)
        // are LiveDesk's own.
        this.store.record({ id: o.contactId, fingerprint: fingerprint(o.contact), ...(o.held ?? keys(o.contact)) });
        this.store.markSeen(o.contactId);
        return;
      case 'existing':
      case 'unchanged': {
        if (o.held !== undefined || o.exact) {
          // Found by a search: record LiveDesk's keys, and its fields' fingerprint when it was seen
          // to hold exactly the row's (else keep what the store vouched for, or nothing). A row the
          // store itself settled costs no read here: it is on the per-row path of a rerun.
          const print = o.exact ? fingerprint(o.contact) : (this.store.get(o.contactId)?.fingerprint ?? '');
          this.store.record({ id: o.contactId, fingerprint: print, ...(o.held ?? keys(o.contact)) });
        }
        this.store.markSeen(o.contactId);
        return;
      }
      default:
        return;
    }
  }

  /** Before a PATCH: the store stops vouching for the contact's old fields (the PATCH may land unanswered). */
  async beforeUpdate(id: string): Promise<void> {
    const known = this.store.get(id);
    if (known === undefined || known.fingerprint === '') return;
    this.store.record({ ...known, fingerprint: '' });
    await this.store.commit();
  }

  /** LiveDesk answered 404 for it: deleted inside LiveDesk. */
  forget(id: string): void {
    this.store.forgetContact(id);
  }

  /** Commits, counts the contacts of this scope the run's file no longer had, and closes the store. */
  async finish(complete: boolean): Promise<number | undefined> {
    clearInterval(this.timer);
    await this.committing;
    await this.store.commit();
    // Only a run that read the whole file knows which contacts it no longer has; it keeps their
    // list for `state export --missing` (a stopped or resumed run leaves the last one as it was).
    const missing = complete ? await this.store.saveMissing() : undefined;
    await this.store.close();
    return missing;
  }
}

function keys(c: { identifier?: string; email?: string; phone_number?: string }): { identifier?: string; email?: string; phone_number?: string } {
  return {
    ...(c.identifier ? { identifier: c.identifier } : {}),
    ...(c.email ? { email: c.email.toLowerCase() } : {}),
    ...(c.phone_number ? { phone_number: c.phone_number } : {}),
  };
}

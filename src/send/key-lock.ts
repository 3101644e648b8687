// LiveDesk only has unique indexes on email and identifier; two concurrent creates with one phone
// number can both succeed. Rows that share a key therefore wait for each other here.

/** One holder of a set of keys; waiters get a promise only when there are any. */
class Hold {
  private released = false;
  private waiting: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  wait(): Promise<void> {
    if (this.released) return Promise.resolve();
    return (this.waiting ??= new Promise<void>((r) => (this.wake = r)));
  }

  release(): void {
    this.released = true;
    this.wake?.();
  }
}

export class KeyLock {
  private readonly held = new Map<string, Hold>();

  /** Waits until none of the keys is held, then holds them all; resolves with the release function. */
  acquire(keys: readonly string[]): Promise<() => void> {
    for (const k of keys) if (this.held.has(k)) return this.acquireAfterWait(keys);
    return Promise.resolve(this.hold(keys));
  }

  private async acquireAfterWait(keys: readonly string[]): Promise<() => void> {
    for (;;) {
      const busy: Promise<void>[] = [];
      for (const k of keys) {
        const h = this.held.get(k);
        if (h) busy.push(h.wait());
      }
      if (busy.length === 0) return this.hold(keys);
      await Promise.all(busy);
    }
  }

  private hold(keys: readonly string[]): () => void {
    const h = new Hold();
    for (const k of keys) this.held.set(k, h);
    return () => {
      for (const k of keys) if (this.held.get(k) === h) this.held.delete(k);
      h.release();
    };
  }

  get size(): number {
    return this.held.size;
  }
}

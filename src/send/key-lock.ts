// LiveDesk only has unique indexes on email and identifier; two concurrent creates with one phone
// number can both succeed. Rows that share a key therefore wait for each other here.

export class KeyLock {
  private readonly held = new Map<string, Promise<void>>();

  /** Waits until none of the keys is held, then holds them all; returns the release function. */
  async acquire(keys: readonly string[]): Promise<() => void> {
    for (;;) {
      const busy = keys.map((k) => this.held.get(k)).filter((p): p is Promise<void> => p !== undefined);
      if (busy.length === 0) break;
      await Promise.all(busy);
    }
    let release!: () => void;
    const done = new Promise<void>((r) => (release = r));
    for (const k of keys) this.held.set(k, done);
    return () => {
      for (const k of keys) if (this.held.get(k) === done) this.held.delete(k);
      release();
    };
  }

  get size(): number {
    return this.held.size;
  }
}

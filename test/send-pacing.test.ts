// Pacing, backoff waits and the key lock on a fake clock: exact slot times instead of wall-clock
// thresholds. `performance` is faked too, so RatePacer's default clock is the fake one.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { retryDelayMs, sleep } from '../src/send/backoff.js';
import { KeyLock } from '../src/send/key-lock.js';
import { RatePacer } from '../src/send/rate.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Takes n slots at once; resolves with the fake time at which each one was granted. */
async function slotTimes(pacer: RatePacer, n: number, signal?: AbortSignal): Promise<number[]> {
  const t0 = performance.now();
  const times: number[] = [];
  const all = Promise.all(Array.from({ length: n }, () => pacer.take(signal).then(() => times.push(performance.now() - t0))));
  await vi.runAllTimersAsync();
  await all;
  return times;
}

describe('retryDelayMs', () => {
  it('grows exponentially, with jitter in the upper half, capped', () => {
    const policy = { baseMs: 100, maxMs: 1000, maxRetryAfterMs: 5000 };
    expect(retryDelayMs(1, undefined, policy, () => 0)).toBe(50);
    expect(retryDelayMs(1, undefined, policy, () => 0.999)).toBeCloseTo(100, -1);
    expect(retryDelayMs(2, undefined, policy, () => 0)).toBe(100);
    expect(retryDelayMs(3, undefined, policy, () => 0)).toBe(200);
    expect(retryDelayMs(3, undefined, policy, () => 0.5)).toBe(300);
    expect(retryDelayMs(20, undefined, policy, () => 0)).toBe(500);
    expect(retryDelayMs(20, undefined, policy, () => 0.999)).toBe(1000);
  });
  it('prefers Retry-After, clamped', () => {
    const policy = { baseMs: 100, maxMs: 1000, maxRetryAfterMs: 5000 };
    expect(retryDelayMs(1, 3000, policy, () => 0.5)).toBe(3000);
    expect(retryDelayMs(1, 0, policy, () => 0.5)).toBe(0);
    expect(retryDelayMs(1, 60_000, policy)).toBe(5000);
  });
});

describe('sleep', () => {
  it('waits exactly the delay', async () => {
    let doneAt = -1;
    void sleep(250).then(() => (doneAt = performance.now()));
    await vi.advanceTimersByTimeAsync(249);
    expect(doneAt).toBe(-1);
    await vi.advanceTimersByTimeAsync(1);
    expect(doneAt).toBe(250);
  });
  it('an abort ends it early (resolving) and clears its timer', async () => {
    const ac = new AbortController();
    let doneAt = -1;
    void sleep(10_000, ac.signal).then(() => (doneAt = performance.now()));
    await vi.advanceTimersByTimeAsync(30);
    expect(vi.getTimerCount()).toBe(1);
    ac.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(doneAt).toBe(30);
    expect(vi.getTimerCount()).toBe(0);
  });
  it('no wait at all for 0 ms or an aborted signal', async () => {
    const ac = new AbortController();
    ac.abort();
    let n = 0;
    void sleep(0).then(() => n++);
    void sleep(5000, ac.signal).then(() => n++);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(0);
    expect(n).toBe(2);
  });
});

describe('RatePacer', () => {
  it('n requests at rate r are granted 1000/r ms apart, the first at once', async () => {
    expect(await slotTimes(new RatePacer(50), 6)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(await slotTimes(new RatePacer(8), 4)).toEqual([0, 125, 250, 375]);
  });

  it('a request between slots waits only for the rest of the gap; after a pause, no burst', async () => {
    const pacer = new RatePacer(10);
    await pacer.take();
    await vi.advanceTimersByTimeAsync(30);
    expect(await slotTimes(pacer, 1)).toEqual([70]);
    // Idle long past the next slot: one request goes at once, the next is a full gap later.
    await vi.advanceTimersByTimeAsync(5000);
    expect(await slotTimes(pacer, 2)).toEqual([0, 100]);
  });

  it('uses the clock it is given', async () => {
    let now = 1000;
    const pacer = new RatePacer(4, () => now);
    await pacer.take();
    now = 1100;
    // Next slot at 1250 by the injected clock: 150 ms from its "now", whatever the real one says.
    let at = -1;
    const t0 = performance.now();
    void pacer.take().then(() => (at = performance.now() - t0));
    await vi.runAllTimersAsync();
    expect(at).toBe(150);
  });

  it('pauseFor pushes the next slot back, and the ones after it', async () => {
    const pacer = new RatePacer(1000);
    pacer.pauseFor(60);
    expect(await slotTimes(pacer, 3)).toEqual([60, 61, 62]);
  });

  it('pauseFor shorter than the next slot changes nothing', async () => {
    const pacer = new RatePacer(10);
    await pacer.take();
    pacer.pauseFor(30);
    expect(await slotTimes(pacer, 1)).toEqual([100]);
  });

  it('an abort ends the wait early', async () => {
    const pacer = new RatePacer(1);
    await pacer.take();
    const ac = new AbortController();
    let at = -1;
    void pacer.take(ac.signal).then(() => (at = performance.now()));
    await vi.advanceTimersByTimeAsync(30);
    expect(at).toBe(-1);
    ac.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(at).toBe(30);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('throttled() after 429s settles just under the accepted rate measured over the last second', async () => {
    const pacer = new RatePacer(100);
    // LiveDesk accepts 80 a second: one success every 12.5 ms for a second.
    for (let i = 0; i < 80; i++) {
      pacer.succeeded();
      await vi.advanceTimersByTimeAsync(12.5);
    }
    pacer.throttled();
    expect(pacer.current).toBeCloseTo(80 * 0.97, 6);
    // The slots follow the new rate (timers fire on whole milliseconds; the slots do not drift).
    const gap = 1000 / pacer.current;
    const times = await slotTimes(pacer, 8);
    times.forEach((t, k) => expect(Math.abs(t - k * gap)).toBeLessThan(1));
  });

  it('only successes within the last second count', async () => {
    const pacer = new RatePacer(100);
    for (let i = 0; i < 90; i++) pacer.succeeded(); // long ago
    await vi.advanceTimersByTimeAsync(5000);
    for (let i = 0; i < 64; i++) {
      pacer.succeeded();
      await vi.advanceTimersByTimeAsync(15.625);
    }
    pacer.throttled();
    expect(pacer.current).toBeCloseTo(64 * 0.97, 6);
  });

  it('too few answers to measure: cut by the decrease share; never more than half at once', async () => {
    const pacer = new RatePacer(100);
    pacer.throttled();
    expect(pacer.current).toBeCloseTo(70, 9);
    await vi.advanceTimersByTimeAsync(1000);
    // 10 accepted a second measured, but one 429 never takes more than half the rate.
    for (let i = 0; i < 10; i++) {
      pacer.succeeded();
      await vi.advanceTimersByTimeAsync(50);
    }
    const before = pacer.current;
    pacer.throttled();
    expect(pacer.current).toBeCloseTo(before * 0.5, 9);
  });

  it('a burst of 429s cuts once per window, not once per answer', async () => {
    const pacer = new RatePacer(100);
    pacer.throttled();
    pacer.throttled();
    await vi.advanceTimersByTimeAsync(999);
    pacer.throttled();
    expect(pacer.current).toBeCloseTo(70, 9);
    await vi.advanceTimersByTimeAsync(1);
    pacer.throttled();
    expect(pacer.current).toBeCloseTo(49, 9);
  });

  it('never below the floor', async () => {
    const pacer = new RatePacer(10, undefined, { floor: 2 });
    for (let i = 0; i < 20; i++) {
      pacer.throttled();
      await vi.advanceTimersByTimeAsync(60_000);
    }
    expect(pacer.current).toBe(2);
  });

  it('succeeded() wins the rate back: about recoverPerSecond × max per second, never past max', async () => {
    const pacer = new RatePacer(100);
    pacer.throttled();
    expect(pacer.current).toBeCloseTo(70, 9);
    // One second of paced successes gains about 5/s (0.05 × 100).
    const t0 = performance.now();
    while (performance.now() - t0 < 1000) {
      const slot = pacer.take();
      await vi.runAllTimersAsync();
      await slot;
      pacer.succeeded();
    }
    expect(pacer.current).toBeGreaterThan(74.5);
    expect(pacer.current).toBeLessThan(75.5);
    for (let i = 0; i < 10_000; i++) pacer.succeeded();
    expect(pacer.current).toBe(100);
  });
});

describe('KeyLock', () => {
  it('runs rows that share a key one after the other, others in parallel', async () => {
    const lock = new KeyLock();
    const order: string[] = [];
    const run = async (name: string, keys: string[], ms: number): Promise<void> => {
      const release = await lock.acquire(keys);
      order.push(`start ${name} @${performance.now()}`);
      await sleep(ms);
      order.push(`end ${name} @${performance.now()}`);
      release();
    };
    const all = Promise.all([run('a', ['e:x'], 30), run('b', ['p:1', 'e:x'], 10), run('c', ['e:y'], 5)]);
    await vi.runAllTimersAsync();
    await all;
    expect(order).toEqual(['start a @0', 'start c @0', 'end c @5', 'end a @30', 'start b @30', 'end b @40']);
    expect(lock.size).toBe(0);
  });
});

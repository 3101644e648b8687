import { describe, expect, it } from 'vitest';
import { retryDelayMs, sleep } from '../src/send/backoff.js';
import { KeyLock } from '../src/send/key-lock.js';
import { RatePacer } from '../src/send/rate.js';

describe('retryDelayMs', () => {
  it('grows exponentially, with jitter in the upper half, capped', () => {
    const policy = { baseMs: 100, maxMs: 1000, maxRetryAfterMs: 5000 };
    expect(retryDelayMs(1, undefined, policy, () => 0)).toBe(50);
    expect(retryDelayMs(1, undefined, policy, () => 0.999)).toBeCloseTo(100, -1);
    expect(retryDelayMs(3, undefined, policy, () => 0)).toBe(200);
    expect(retryDelayMs(20, undefined, policy, () => 0)).toBe(500);
  });
  it('prefers Retry-After, clamped', () => {
    const policy = { baseMs: 100, maxMs: 1000, maxRetryAfterMs: 5000 };
    expect(retryDelayMs(1, 3000, policy)).toBe(3000);
    expect(retryDelayMs(1, 60_000, policy)).toBe(5000);
  });
});

describe('RatePacer', () => {
  it('spaces requests 1/rate apart, so n requests take (n-1)/rate seconds', async () => {
    const pacer = new RatePacer(50);
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 6 }, () => pacer.take()));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(95);
  });
  it('pauseFor pushes the next slot back', async () => {
    const pacer = new RatePacer(1000);
    pacer.pauseFor(60);
    const t0 = performance.now();
    await pacer.take();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(50);
  });
  it('an abort ends the wait early', async () => {
    const pacer = new RatePacer(1);
    await pacer.take();
    const t0 = performance.now();
    await pacer.take(AbortSignal.timeout(30));
    expect(performance.now() - t0).toBeLessThan(500);
  });
});

describe('KeyLock', () => {
  it('runs rows that share a key one after the other, others in parallel', async () => {
    const lock = new KeyLock();
    const order: string[] = [];
    const run = async (name: string, keys: string[], ms: number): Promise<void> => {
      const release = await lock.acquire(keys);
      order.push(`start ${name}`);
      await sleep(ms);
      order.push(`end ${name}`);
      release();
    };
    await Promise.all([run('a', ['e:x'], 30), run('b', ['p:1', 'e:x'], 10), run('c', ['e:y'], 5)]);
    expect(order.indexOf('start b')).toBeGreaterThan(order.indexOf('end a'));
    expect(order.indexOf('start c')).toBeLessThan(order.indexOf('end a'));
    expect(lock.size).toBe(0);
  });
});

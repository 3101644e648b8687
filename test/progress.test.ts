import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  BAR_DELAY_MS,
  drawBar,
  etaSeconds,
  formatBarLine,
  formatDuration,
  formatProgress,
  groupDigits,
  RateWindow,
  snapshot,
  startProgress,
  type ProgressSnapshot,
  type ProgressSource,
} from '../src/progress.js';
import { emptySummary, type Summary } from '../src/sinks/summary.js';

function summaryOf(partial: Partial<Summary> = {}): Summary {
  return { ...emptySummary(false, 'x.failures.csv'), ...partial };
}

function source(partial: Partial<Summary>, bytesRead: number, fileBytes: number): ProgressSource {
  return { summary: summaryOf(partial), bytesRead: () => bytesRead, fileBytes };
}

const snap = (s: Partial<ProgressSnapshot> = {}): ProgressSnapshot => ({
  dryRun: false,
  share: 0.5,
  sized: true,
  rows: 1000,
  done: 900,
  created: 880,
  existing: 0,
  failed: 20,
  valid: 980,
  ...s,
});

/** A terminal stand-in that records what is written to it. */
function fakeTty(columns = 120) {
  const writes: string[] = [];
  const stream = {
    isTTY: true,
    columns,
    write(chunk: string | Uint8Array): boolean {
      writes.push(String(chunk));
      return true;
    },
  };
  return { stream: stream as unknown as NodeJS.WriteStream, writes, text: () => writes.join('') };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('snapshot', () => {
  it('counts rows with an outcome as done, and the share of the file read', () => {
    const s = snapshot(source({ rows: 100, created: 60, existing: 5, failed: 10, skipped: 3 }, 250, 1000));
    expect(s.done).toBe(78);
    expect(s.share).toBe(0.25);
    expect(s.existing).toBe(5);
  });
  it('counts counters of newer builds (updated) when present', () => {
    const s = snapshot(source({ rows: 10, created: 2, ...({ updated: 3 } as Partial<Summary>) }, 1, 1));
    expect(s.existing).toBe(3);
    expect(s.done).toBe(5);
  });
  it('a dry run without look-ups has every row read done', () => {
    expect(snapshot(source({ dryRun: true, rows: 500, valid: 490, failed: 10 }, 10, 100)).done).toBe(500);
  });
  it('never reports more than the whole file; a size of 0 (a pipe: an empty file never gets this far) is unknown', () => {
    expect(snapshot(source({}, 2000, 1000)).share).toBe(1);
    expect(snapshot(source({}, 0, 0)).sized).toBe(false);
  });
});

describe('etaSeconds', () => {
  it('is unknown without a rate or before any row', () => {
    expect(etaSeconds(snap(), 0)).toBeUndefined();
    expect(etaSeconds(snap({ rows: 0, done: 0 }), 100)).toBeUndefined();
    expect(etaSeconds(snap({ share: 0 }), 100)).toBeUndefined();
  });
  it('estimates the rows in the file from the share read', () => {
    // 1000 rows in half the file → 2000 rows; 900 done → 1100 left at 100/s.
    expect(etaSeconds(snap(), 100)).toBeCloseTo(11);
  });
  it('once the whole file is read, only the rows in flight are left', () => {
    expect(etaSeconds(snap({ share: 1, rows: 1000, done: 990 }), 10)).toBeCloseTo(1);
    expect(etaSeconds(snap({ share: 1, rows: 1000, done: 1000 }), 10)).toBe(0);
  });
});

describe('formatting helpers', () => {
  it('formatDuration', () => {
    expect(formatDuration(undefined)).toBe('–');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('–');
    expect(formatDuration(0.4)).toBe('0s');
    expect(formatDuration(59)).toBe('59s');
    expect(formatDuration(75)).toBe('1m 15s');
    expect(formatDuration(3725)).toBe('1h 02m');
  });
  it('groupDigits is the same on every machine', () => {
    expect(groupDigits(0)).toBe('0');
    expect(groupDigits(999)).toBe('999');
    expect(groupDigits(1234567)).toBe('1,234,567');
    expect(groupDigits(1234.6)).toBe('1,235');
  });
  it('drawBar fills its share of the cells', () => {
    expect(drawBar(0, 4)).toBe('░░░░');
    expect(drawBar(0.5, 4)).toBe('██░░');
    expect(drawBar(2, 4)).toBe('████');
  });
});

describe('formatProgress (the plain line off a terminal)', () => {
  it('says how much of the file is read, what is done, the rate and the time left', () => {
    const line = formatProgress(source({ rows: 1000, created: 880, existing: 10, failed: 10 }, 500, 1000), 10_000);
    expect(line).toBe('progress: 50% of the file read, 1000 rows read, 900 done (890 in LiveDesk, 10 failed), 90.0 rows/s, about 12s left');
  });
  it('a dry run reports valid and invalid rows', () => {
    const line = formatProgress(source({ dryRun: true, rows: 100, valid: 95, failed: 5 }, 100, 100), 1000);
    expect(line).toContain('100 done (95 valid, 5 invalid), 100.0 rows/s');
  });
  it('has no time left before anything is done', () => {
    expect(formatProgress(source({}, 0, 100), 0)).not.toContain('left');
  });
});

describe('formatBarLine', () => {
  it('shows the share read, rows done, rate, ETA, created and failed', () => {
    const line = formatBarLine(snap({ done: 123456, created: 123000, failed: 456 }), 5321, 80, 150);
    expect(line).toMatch(/^[█░]{24} {2}50% read \| 123,456 rows done \| 5,321 rows\/s \| ETA 1m 20s \| 123,000 created \| 456 failed$/);
  });
  it('shows existing contacts only when there are some, and valid/invalid in a dry run', () => {
    expect(formatBarLine(snap(), 1, 1, 200)).not.toContain('existing');
    expect(formatBarLine(snap({ existing: 7 }), 1, 1, 200)).toContain('| 7 existing |');
    expect(formatBarLine(snap({ dryRun: true }), 1, 1, 200)).toContain('980 valid | 20 invalid');
  });
  it('always fits the width, dropping the bar, then the ETA and rate, before the counts', () => {
    const s = snap({ done: 1_000_000, created: 999_000, existing: 500, failed: 500, rows: 1_000_000, share: 1 });
    for (let width = 10; width <= 200; width++) {
      expect(formatBarLine(s, 12345, 3600, width).length).toBeLessThanOrEqual(width);
    }
    const narrow = formatBarLine(s, 12345, 3600, 80);
    expect(narrow).toContain('1,000,000 rows done');
    expect(narrow).toContain('999,000 created');
    expect(narrow).toContain('500 failed');
  });
});

describe('RateWindow', () => {
  it('is the rate over the last few seconds, not since the start', () => {
    const w = new RateWindow(1000);
    expect(w.add(0, 0)).toBe(0);
    expect(w.add(500, 50)).toBe(100);
    expect(w.add(1000, 100)).toBe(100);
    // a slow second after a fast start: the old samples fall out of the window
    expect(w.add(2000, 110)).toBeCloseTo(10);
  });
});

describe('startProgress', () => {
  it('quiet: nothing at all', () => {
    vi.useFakeTimers();
    const say = vi.fn();
    const tty = fakeTty();
    const stop = startProgress(source({ rows: 1 }, 1, 2), say, 1000, { quiet: true, tty: true, stream: tty.stream });
    vi.advanceTimersByTime(60_000);
    stop();
    expect(say).not.toHaveBeenCalled();
    expect(tty.writes).toEqual([]);
  });

  it('off a terminal: a plain line every everyMs through say, none after stop', () => {
    vi.useFakeTimers();
    const say = vi.fn();
    const stop = startProgress(source({ rows: 10, created: 10 }, 5, 10), say, 10_000);
    vi.advanceTimersByTime(9_999);
    expect(say).not.toHaveBeenCalled();
    vi.advanceTimersByTime(20_001);
    expect(say).toHaveBeenCalledTimes(3);
    expect(say.mock.calls[0]![0]).toMatch(/^progress: 50% of the file read, 10 rows read, 10 done/);
    stop();
    vi.advanceTimersByTime(60_000);
    expect(say).toHaveBeenCalledTimes(3);
  });

  it('on a terminal: draws the bar on the stream, and stop() finishes its line', () => {
    vi.useFakeTimers();
    const say = vi.fn();
    const tty = fakeTty(120);
    const summary = summaryOf({ rows: 10, created: 8, failed: 2 });
    const sigint = process.listenerCount('SIGINT');
    const stop = startProgress({ summary, bytesRead: () => 400, fileBytes: 1000 }, say, 10_000, { tty: true, stream: tty.stream });
    expect(process.listenerCount('SIGINT')).toBe(sigint); // Ctrl-C stays the CLI's
    summary.rows = 40;
    summary.created = 37;
    vi.advanceTimersByTime(1000);
    expect(tty.text()).toContain('40% read | 39 rows done');
    stop();
    const out = tty.text();
    expect(out.endsWith('\n')).toBe(true);
    expect(out).toContain('37 created | 2 failed');
    // The cursor is never sent back to where the bar started (it would overwrite later output).
    expect(out).not.toContain('\x1B7');
    expect(out).not.toContain('\x1B8');
    // Nothing after stop, and a second stop is harmless.
    const written = tty.writes.length;
    stop();
    vi.advanceTimersByTime(10_000);
    expect(tty.writes.length).toBe(written);
    expect(say).not.toHaveBeenCalled();
  });

  it('on a terminal: a run over before the bar would show draws nothing', () => {
    vi.useFakeTimers();
    const tty = fakeTty();
    const stop = startProgress(source({ rows: 3, created: 3 }, 10, 10), () => {}, 10_000, { tty: true, stream: tty.stream });
    vi.advanceTimersByTime(BAR_DELAY_MS - 1);
    stop();
    vi.advanceTimersByTime(10_000);
    expect(tty.writes).toEqual([]);
  });

  it('on a terminal: every drawn line fits the terminal', () => {
    vi.useFakeTimers();
    const tty = fakeTty(50);
    const summary = summaryOf({ rows: 123456, created: 120000, failed: 3456 });
    const stop = startProgress({ summary, bytesRead: () => 1, fileBytes: 2 }, () => {}, 10_000, { tty: true, stream: tty.stream });
    vi.advanceTimersByTime(2000);
    stop();
    const drawn = tty.writes.filter((w) => !w.startsWith('\x1B') && w !== '\n');
    expect(drawn.length).toBeGreaterThan(0);
    for (const line of drawn) expect(line.length).toBeLessThan(50);
  });
});

describe('progress on a stream of unknown size (standard input, a FIFO)', () => {
  it('shows rows and rate but no share of the file, no bar and no ETA', () => {
    const p = source({ rows: 500, created: 400 }, 123_456, 0);
    const line = formatProgress(p, 10_000);
    expect(line).toBe('progress: 500 rows read, 400 done (400 in LiveDesk, 0 failed), 40.0 rows/s');
    const s = snapshot(p);
    expect(s.sized).toBe(false);
    expect(etaSeconds(s, 40)).toBeUndefined();
    const bar = formatBarLine(s, 40, undefined, 120);
    expect(bar.startsWith('reading a stream | 400 rows done')).toBe(true);
    expect(bar).not.toMatch(/[\u2588\u2591]/);
  });
});

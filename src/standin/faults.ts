// Fault injection for the stand-in: which misbehaviour a create gets, and how long answers wait.

export interface StandinFaults {
  /** 0..1 share of POST creates answered 500 (nothing stored). */
  errorRate?: number;
  /** 0..1 share of creates whose socket is destroyed BEFORE the contact is stored. */
  resetBeforeRate?: number;
  /** 0..1 share of creates stored, then the socket destroyed without an answer. */
  resetAfterRate?: number;
  /** 0..1 share of creates stored, then never answered. */
  hangAfterRate?: number;
  // Hostile or broken answers (issue 6). A redirect comes from something in front of LiveDesk
  // (a gateway, a moved host), so nothing is stored; the others are LiveDesk storing the contact
  // and then answering 200 in a way the importer cannot read an ID from, so the importer must
  // fail the row as bad_response and tell the person to check LiveDesk, never resend it blindly.
  /** 0..1 share of creates answered 302 to http://127.0.0.1:1/elsewhere (nothing stored). */
  redirectRate?: number;
  /** 0..1 share of creates stored, then answered 200 text/html `<html>oops</html>`. */
  badBodyRate?: number;
  /** 0..1 share of creates stored, then answered 200 JSON `{"payload":{"contact":{}}}`. */
  noIdRate?: number;
  /** 0..1 share of creates stored, then answered 200 with a 10 MB JSON body, streamed. */
  hugeBodyRate?: number;
  /** 0..1 share of creates stored, then answered 200 headers and a body that trickles forever. */
  neverEndRate?: number;
  /**
   * 0..1 share of updates (PATCH) whose contact is deleted just before the update is applied, as
   * if someone removed it in LiveDesk after the importer found it: the PATCH is answered 404.
   */
  goneOnUpdateRate?: number;
  /** Added delay before every API answer. */
  latencyMs?: number;
  /** Plus a uniform random 0..jitter. */
  latencyJitterMs?: number;
}

export type FaultKind = 'resetBefore' | 'error' | 'resetAfter' | 'hangAfter' | HostileKind;
export type HostileKind = 'redirect' | 'badBody' | 'noId' | 'hugeBody' | 'neverEnd';

const RATE_KEYS = [
  'errorRate',
  'resetBeforeRate',
  'resetAfterRate',
  'hangAfterRate',
  'redirectRate',
  'badBodyRate',
  'noIdRate',
  'hugeBodyRate',
  'neverEndRate',
  'goneOnUpdateRate',
] as const;
const DELAY_KEYS = ['latencyMs', 'latencyJitterMs'] as const;

/** Checks fault settings from code or from JSON; throws a RangeError naming the bad key. */
export function checkFaults(input: unknown): StandinFaults {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new RangeError('faults must be an object');
  }
  const record = input as Record<string, unknown>;
  const known: readonly string[] = [...RATE_KEYS, ...DELAY_KEYS];
  const unknownKey = Object.keys(record).find((key) => !known.includes(key));
  if (unknownKey !== undefined) throw new RangeError(`unknown fault setting "${unknownKey}"`);
  const faults: StandinFaults = {};
  for (const key of RATE_KEYS) {
    const value = record[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
      throw new RangeError(`${key} must be a number from 0 to 1`);
    }
    faults[key] = value;
  }
  for (const key of DELAY_KEYS) {
    const value = record[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new RangeError(`${key} must be a number of milliseconds >= 0`);
    }
    faults[key] = value;
  }
  return faults;
}

/** mulberry32: tiny, seedable, good enough to make fault runs repeatable. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function firstHit<K extends string>(draws: Array<[K, number | undefined]>, random: () => number): K | null {
  let hit: K | null = null;
  for (const [kind, rate] of draws) {
    const roll = random();
    if (hit === null && roll < (rate ?? 0)) hit = kind;
  }
  return hit;
}

/**
 * Picks the fault for one create. Every rate is drawn on every create, so a seeded run consumes
 * the same random stream whatever the settings. The hostile modes draw from their own stream
 * (`hostileRandom`), so that seeded runs written before they existed keep their fault sequence.
 * Faults that strike before the contact is stored (reset before, 500, redirect) win over those
 * after; then the first whose draw hits.
 */
export function drawFault(faults: StandinFaults, random: () => number, hostileRandom: () => number = random): FaultKind | null {
  const classic = firstHit<FaultKind>(
    [
      ['resetBefore', faults.resetBeforeRate],
      ['error', faults.errorRate],
      ['resetAfter', faults.resetAfterRate],
      ['hangAfter', faults.hangAfterRate],
    ],
    random,
  );
  const hostile = firstHit<HostileKind>(
    [
      ['redirect', faults.redirectRate],
      ['badBody', faults.badBodyRate],
      ['noId', faults.noIdRate],
      ['hugeBody', faults.hugeBodyRate],
      ['neverEnd', faults.neverEndRate],
    ],
    hostileRandom,
  );
  if (classic === 'resetBefore' || classic === 'error') return classic;
  if (hostile === 'redirect') return hostile;
  return classic ?? hostile;
}

/** Whether this update's contact is deleted first (goneOnUpdateRate); one draw per update, from its own stream. */
export function drawGone(faults: StandinFaults, random: () => number): boolean {
  return random() < (faults.goneOnUpdateRate ?? 0);
}

/** Whether the contact is stored before this fault strikes. */
export function storesContact(fault: FaultKind | null): boolean {
  return fault !== 'resetBefore' && fault !== 'error' && fault !== 'redirect';
}

/** Jitter uses Math.random so that latency never shifts the seeded fault stream. */
export function latencyFor(faults: StandinFaults): number {
  const base = faults.latencyMs ?? 0;
  const jitter = faults.latencyJitterMs ?? 0;
  return base + (jitter > 0 ? Math.random() * jitter : 0);
}

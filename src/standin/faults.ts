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
  /**
   * 0..1 share of creates answered, before anything is stored, by a "debugging gateway" that
   * echoes the request's credentials in its error body and headers: the Authorization header,
   * the decoded `key:secret`, the key and the secret alone, URL-encoded, and a Bearer token of its
   * own. Drawn from its own stream, so the other faults' seeded sequences stay as they were.
   */
  echoAuthRate?: number;
  /** The status of those echoing answers (400-599, default 400): 4xx fails the row, 5xx is retried, 401 stops the run. */
  echoAuthStatus?: number;
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
  'echoAuthRate',
] as const;
const DELAY_KEYS = ['latencyMs', 'latencyJitterMs'] as const;

/** Checks fault settings from code or from JSON; throws a RangeError naming the bad key. */
export function checkFaults(input: unknown): StandinFaults {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new RangeError('faults must be an object');
  }
  const record = input as Record<string, unknown>;
  const known: readonly string[] = [...RATE_KEYS, ...DELAY_KEYS, 'echoAuthStatus'];
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
  const status = record.echoAuthStatus;
  if (status !== undefined) {
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError('echoAuthStatus must be an HTTP status from 400 to 599');
    }
    faults.echoAuthStatus = status;
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

/** Whether this create is answered by the echoing gateway (echoAuthRate); drawn only when the rate is set. */
export function drawEcho(faults: StandinFaults, random: () => number): boolean {
  const rate = faults.echoAuthRate ?? 0;
  return rate > 0 && random() < rate;
}

/**
 * What a debugging gateway that repeats the request would answer: every spelling of the
 * credentials it was sent, in the body and in headers. `authorization` is the request's header.
 */
export function echoedCredentials(authorization: string | undefined, status: number): { status: number; body: string; headers: Record<string, string> } {
  const auth = authorization ?? '';
  const token = /^Basic\s+(\S+)$/i.exec(auth)?.[1] ?? '';
  const pair = Buffer.from(token, 'base64').toString('utf8');
  const colon = pair.indexOf(':');
  const key = colon < 0 ? pair : pair.slice(0, colon);
  const secret = colon < 0 ? '' : pair.slice(colon + 1);
  const message =
    `gateway error: upstream refused the request (Authorization: ${auth}; credentials ${pair}; ` +
    `key=${key} secret=${secret}; token ${token}; url-encoded ${encodeURIComponent(pair)}; upstream said Bearer gw-7Hq2xZp9Lk3)`;
  const body = JSON.stringify({
    message,
    error: message,
    request: { headers: { Authorization: auth, 'proxy-authorization': `Bearer gw-7Hq2xZp9Lk3` }, user: key, password: secret },
  });
  return {
    status,
    body,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'x-echo-authorization': auth,
      'x-echo-credentials': pair,
      // Read by the importer for 3xx (Location) and 429/5xx (Retry-After): with the credentials in.
      location: `http://${encodeURIComponent(key)}:${encodeURIComponent(secret)}@127.0.0.1:1/echo`,
      'retry-after': `${secret} 1`,
    },
  };
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

// checkPhone's fast path (src/map/phone.ts) against plain libphonenumber-js/max on a generated,
// seeded corpus: tens of thousands of numbers from every region the metadata knows, valid and
// invalid, with and without +, national with the right and a wrong --default-country, with a
// national prefix, with the calling code but no +, with formatting (through normalizePhone, as
// mapRow gives them to checkPhone). The fast path may leave a number to the library (undefined),
// but whatever it answers must be exactly the library's answer, and it must answer for most valid
// numbers (else it is no faster, and an upgrade of libphonenumber-js has disabled it). checkPhone
// itself must give the library's verdict, including its one addition: a national number that is
// not valid in its country is read as international when that is valid.
import { getCountries, getCountryCallingCode, parsePhoneNumberWithError, type CountryCode } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';
import { describe, expect, it } from 'vitest';
import { normalizePhone } from '../src/map/normalize.js';
import { checkPhone, fastInternational, fastNational } from '../src/map/phone.js';

/** mulberry32: a small seeded PRNG, so the corpus is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

type Case = { raw: string; country: CountryCode | undefined };

const COUNTRIES = getCountries();
const PREFIXES = ['0', '0', '0', '1', '8', '06', '9'];
const IDD = ['011', '00', '810', '0011', '001', '010'];

/** Cells as people type them, in every form checkPhone sees. */
function corpus(size: number, seed: number): Case[] {
  const random = prng(seed);
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T,>(a: readonly T[]): T => a[int(a.length)]!;
  const digits = (n: number): string => Array.from({ length: n }, () => String(int(10))).join('');
  /** A national number of a region: its mobile example with some trailing digits changed, or digits after its first ones. */
  const national = (c: CountryCode): string => {
    const example = examples[c] ?? digits(8);
    const r = random();
    if (r < 0.55) {
      const k = 1 + int(Math.min(5, example.length - 1));
      return example.slice(0, example.length - k) + digits(k);
    }
    if (r < 0.8) {
      const keep = 1 + int(3);
      const length = Math.max(keep + 1, example.length + int(3) - 1);
      return example.slice(0, keep) + digits(length - keep);
    }
    return digits(4 + int(11));
  };
  /** Spaces, dashes, dots, parentheses, as in an export. */
  const format = (s: string): string => {
    const plus = s.startsWith('+');
    const d = plus ? s.slice(1) : s;
    const sep = pick([' ', '-', '.', ' ', '/']);
    let out = '';
    for (let i = 0; i < d.length; i++) {
      if (i > 0 && int(4) === 0) out += sep;
      out += d[i];
    }
    if (int(5) === 0 && out.length > 6) out = `(${out.slice(0, 3)}) ${out.slice(3)}`;
    return (plus ? '+' : '') + out;
  };
  const cases: Case[] = [];
  while (cases.length < size) {
    const c = pick(COUNTRIES);
    const cc = getCountryCallingCode(c);
    const nn = national(c);
    const form = int(10);
    let raw: string;
    let country: CountryCode | undefined = c;
    switch (form) {
      case 0:
      case 1:
      case 2:
        raw = `+${cc}${nn}`;
        country = int(2) === 0 ? undefined : pick(COUNTRIES);
        break;
      case 3:
        raw = `+${cc}${pick(PREFIXES)}${nn}`;
        country = undefined;
        break;
      case 4:
        raw = nn;
        break;
      case 5:
        raw = `${pick(PREFIXES)}${nn}`;
        break;
      case 6:
        raw = `${cc}${nn}`; // the calling code without its +
        break;
      case 7:
        raw = `${pick(IDD)}${cc}${nn}`;
        country = int(2) === 0 ? pick(['US', 'GB', 'DE', 'AU', 'RU', 'JP'] as const) : c;
        break;
      case 8:
        raw = int(2) === 0 ? nn : `${pick(PREFIXES)}${nn}`;
        country = pick(COUNTRIES); // read with a wrong (or random) default country
        break;
      default:
        raw = `+${digits(1 + int(3))}${digits(int(14))}`; // junk: any calling code, any length
        country = undefined;
    }
    if (int(3) === 0) raw = format(raw);
    cases.push({ raw, country });
  }
  return cases;
}

// A deeper run: PHONE_CORPUS=1000000 PHONE_SEED=7 npx vitest run test/map-phone-fastpath.test.ts
const SIZE = Number(process.env.PHONE_CORPUS ?? 60_000);
const SEED = Number(process.env.PHONE_SEED ?? 20240611);

type Verdict = { ok: true; e164: string } | { ok: false };

/** What libphonenumber-js/max alone says of a cleaned cell, read as it is (the fast path's reference). */
function libraryAsIs(phone: string, country: CountryCode | undefined): Verdict {
  const international = phone.startsWith('+');
  if (!international && country === undefined) return { ok: false };
  try {
    const p = international ? parsePhoneNumberWithError(phone) : parsePhoneNumberWithError(phone, country);
    return p.isValid() ? { ok: true, e164: p.number } : { ok: false };
  } catch {
    return { ok: false };
  }
}

/**
 * What checkPhone must answer, by libphonenumber-js/max alone: the number read as it is; a
 * national number that is not valid in its country is then read with a + in front (issue 15:
 * `4915112345678` read in US), unless it starts with 0 (a trunk prefix, never a country code).
 */
function library(phone: string, country: CountryCode | undefined): Verdict {
  const asIs = libraryAsIs(phone, country);
  if (asIs.ok || phone.startsWith('+') || country === undefined || phone.startsWith('0')) return asIs;
  return libraryAsIs('+' + phone, undefined);
}

describe('checkPhone fast path = libphonenumber-js/max', () => {
  it(`gives the library verdict and E.164 form on ${SIZE.toLocaleString('en')} generated numbers from every region`, () => {
    const cases = corpus(SIZE, SEED);
    const regions = new Set<string>();
    let compared = 0;
    let valid = 0;
    let validInternational = 0;
    let answeredInternational = 0;
    let validNational = 0;
    let answeredNational = 0;
    const mismatches: string[] = [];
    for (const { raw, country } of cases) {
      const phone = normalizePhone(raw);
      if (!/^\+?\d+$/.test(phone) || phone.startsWith('+0')) continue; // checkPhone refuses these before any parsing
      compared++;
      const want = library(phone, country);
      const asIs = libraryAsIs(phone, country);
      const international = phone.startsWith('+');
      const fast = international ? fastInternational(phone.slice(1)) : country === undefined ? undefined : fastNational(phone, country);
      const got = checkPhone(raw, phone, country);
      const same = want.ok ? got.ok && got.e164 === want.e164 : !got.ok;
      const fastSame = fast === undefined || (asIs.ok && fast === asIs.e164);
      if ((!same || !fastSame) && mismatches.length < 20) {
        mismatches.push(`${JSON.stringify(raw)} → ${phone} (${country ?? 'no default country'}): library ${JSON.stringify(want)}, checkPhone ${JSON.stringify(got)}, fast path ${fast}`);
      }
      if (!asIs.ok) continue;
      valid++;
      regions.add(parsePhoneNumberWithError(asIs.e164).country ?? '?');
      if (international) {
        validInternational++;
        if (fast !== undefined) answeredInternational++;
      } else {
        validNational++;
        if (fast !== undefined) answeredNational++;
      }
    }
    expect(mismatches).toEqual([]);
    // The corpus is what it claims to be: both verdicts, most regions, both forms.
    expect(compared).toBeGreaterThan(SIZE * 0.8);
    expect(valid).toBeGreaterThan(SIZE / 4);
    expect(compared - valid).toBeGreaterThan(SIZE / 4);
    expect(regions.size).toBeGreaterThan(200);
    expect(validNational).toBeGreaterThan(SIZE / 15);
    // The fast path answers for nearly every valid number (the rest: transform rules, +800…).
    expect(answeredInternational / validInternational).toBeGreaterThan(0.95);
    expect(answeredNational / validNational).toBeGreaterThan(0.9);
  });

  it('agrees on the hand-picked cases the rules turn on', () => {
    const cases: [string, CountryCode | undefined][] = [
      ['+14155550123', undefined], // NANPA: US by its area code
      ['+18762101234', undefined], // NANPA: Jamaica by leading digits
      ['+12423570000', undefined], // NANPA: Bahamas
      ['+447400123456', undefined],
      ['+4407400123456', undefined], // national prefix after the calling code
      ['+447624123456', undefined], // +44: Isle of Man
      ['+441534123456', undefined], // +44: Jersey
      ['+78005553535', undefined], // +7: a national prefix (8) that is also a leading digit
      ['+77012345678', undefined], // +7: Kazakhstan
      ['+5491123456789', undefined], // Argentina: transform rule (left to the library)
      ['+5511912345678', undefined], // Brazil
      ['+8001234567', undefined], // +800: non-geographic
      ['+3906698', undefined], // Vatican / Italy
      ['+390669812345', undefined],
      ['+491512345678', undefined],
      ['07400123456', 'GB'],
      ['7400123456', 'GB'],
      ['447400123456', 'GB'], // the calling code without +
      ['4155550123', 'US'],
      ['14155550123', 'US'],
      ['0114155550123', 'US'], // US international call prefix
      ['88005553535', 'RU'],
      ['015112345678', 'DE'],
      ['0612345678', 'FR'],
      ['0412345678', 'AU'],
      ['0911234567', 'AR'],
      ['01123456789', 'AR'],
      ['7624123456', 'GB'],
      ['07624123456', 'JE'],
      ['12', 'US'],
      ['123', 'US'],
      ['+123', undefined],
      ['+1', undefined],
      ['+999123456', undefined],
      // Issue 15: not valid in the country, valid with a + in front.
      ['4915112345678', 'US'],
      ['33612345678', 'US'],
      ['46701234567', 'GB'],
      ['4915112345678', 'DE'], // DE's own calling code: the national reading already handles it
    ];
    for (const [phone, country] of cases) {
      const want = library(phone, country);
      const got = checkPhone(phone, phone, country);
      expect(got.ok ? { ok: true, e164: got.e164 } : { ok: false }, `${phone} (${country})`).toEqual(want);
      const fast = phone.startsWith('+') ? fastInternational(phone.slice(1)) : fastNational(phone, country!);
      if (fast !== undefined) expect(libraryAsIs(phone, country), `${phone} (${country}): fast path said ${fast}`).toEqual({ ok: true, e164: fast });
    }
  });
});

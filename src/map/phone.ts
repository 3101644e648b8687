// Phone numbers to E.164 with libphonenumber-js and its `max` metadata: the only metadata that
// tells a valid number from one that merely has a plausible length, so a typo or a fictional
// number (UK 07700 900xxx, French 06 39 98 xx xx) is refused here rather than stored in LiveDesk
// as a contact nobody can call.

import { Metadata, ParseError, parsePhoneNumberWithError, validatePhoneNumberLength, type CountryCode, type PhoneNumber } from 'libphonenumber-js/max';
// The same module instance libphonenumber-js/max uses internally, so it costs no extra memory.
import metadata from 'libphonenumber-js/max/metadata';

export type { CountryCode };

/** `note`: what a person should know about how the number was read (the results file's note). */
export type PhoneCheck = { ok: true; e164: string; note?: string } | { ok: false; reason: string };

const TWO_LETTERS = /^[A-Z]{2}$/;
const HAS_LETTER = /\p{L}/u;
/** An extension mapRow could not take off (no number after it, or too long a one): said in the message. */
const PHONE_EXTENSION = /(?:^|[\d\s)])(?:ext(?:ension)?|x)\.?\s*\d*\s*$/i;
const DIGITS_ONLY = /^\d+$/;

/** True when `s` is an ISO 3166 alpha-2 code (upper case) that libphonenumber-js has numbering rules for. */
export function isCountryCode(s: string): s is CountryCode {
  return TWO_LETTERS.test(s) && Object.prototype.hasOwnProperty.call(metadata.countries, s);
}

/** `s` as a country code, forgiving case and surrounding spaces (`" gb"` → `"GB"`); undefined when unknown. */
export function toCountryCode(s: string): CountryCode | undefined {
  const code = s.trim().toUpperCase();
  return isCountryCode(code) ? code : undefined;
}

let regionNames: Intl.DisplayNames | undefined;

/** `GB (United Kingdom)`; only built on the failure path, so the happy path never touches ICU. */
function region(code: string): string {
  regionNames ??= new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });
  let name: string | undefined;
  try {
    name = regionNames.of(code);
  } catch {
    name = undefined;
  }
  return name === undefined || name === code ? code : `${code} (${name})`;
}

/**
 * Where a number was checked against, for messages: `region GB (United Kingdom)`, or when the
 * number fits no region of a shared calling code, `country code +44 (United Kingdom and 3 other
 * regions)`.
 */
function where(p: PhoneNumber, defaultCountry: CountryCode | undefined): string {
  if (p.country !== undefined) return `region ${region(p.country)}`;
  if (defaultCountry !== undefined) return `region ${region(defaultCountry)}`;
  const code = p.countryCallingCode;
  const regions = metadata.country_calling_codes[code] ?? [];
  if (regions.length === 0) return `country code +${code}`;
  if (regions.length === 1) return `region ${region(regions[0]!)}`;
  // The first region listed for a calling code is its main one (US for +1, GB for +44).
  regionNames ??= new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });
  const main = regionNames.of(regions[0]!) ?? regions[0]!;
  return `country code +${code} (${main} and ${regions.length - 1} other regions)`;
}

/** `+9, +99 and +999`: the prefixes that could have been a country code. */
function codePrefixes(digits: string): string {
  const prefixes = [1, 2, 3].filter((n) => n <= digits.length).map((n) => `+${digits.slice(0, n)}`);
  return prefixes.length === 1 ? prefixes[0]! : `${prefixes.slice(0, -1).join(', ')} and ${prefixes.at(-1)}`;
}

const NATIONAL = 'is a national number (no country code): pass --default-country XX or write it with + and the country code';

/**
 * Checks a phone already cleaned by normalizePhone (formatting removed, `00` → `+`) and returns
 * its E.164 form, or why it cannot be a valid number. `original` is the cell as typed, used only
 * to recognise an extension. A number without `+` is read as a national number of
 * `defaultCountry` (the row's country, or --default-country: `countryFrom` says which, for
 * messages); when it is not a valid one there but is valid once read with a `+` in front
 * (`4915112345678` read in US), it is taken as international, and the check's note says so.
 * Without a country, a number without `+` is refused: guessing the country would store wrong
 * numbers silently.
 */
export function checkPhone(original: string, phone: string, defaultCountry?: CountryCode, countryFrom?: string): PhoneCheck {
  // Letters and stray characters are reported before libphonenumber-js sees the text: it would
  // quietly read "ext. 12" as an extension and drop it, and LiveDesk has nowhere to keep one.
  if (HAS_LETTER.test(phone)) {
    return {
      ok: false,
      reason: PHONE_EXTENSION.test(original)
        ? 'contains letters (remove the extension, or put it in another column)'
        : 'contains letters; a phone number has only digits, with an optional + in front',
    };
  }
  const international = phone.startsWith('+');
  const digits = international ? phone.slice(1) : phone;
  if (!DIGITS_ONLY.test(digits)) {
    const bad = /[^\d]/.exec(digits);
    return bad === null
      ? { ok: false, reason: 'is not a phone number' }
      : { ok: false, reason: `contains "${bad[0]}"; a phone number has only digits, with an optional + in front` };
  }
  if (!international && defaultCountry === undefined) {
    const asInternational = digits.startsWith('0') ? undefined : readInternational(digits);
    if (asInternational === undefined) return { ok: false, reason: NATIONAL };
    const country = parsePhoneNumberWithError(asInternational).country;
    const where = country === undefined ? '' : `, ${region(country)}`;
    return { ok: false, reason: `${NATIONAL} (if it starts with its country code, that is ${asInternational}${where})` };
  }
  if (international && digits.startsWith('0')) {
    return { ok: false, reason: 'has an invalid country code: a country code never starts with 0' };
  }

  // Most numbers are valid: the fast path answers for them with libphonenumber-js's own rules.
  // Anything it is not sure of, and every invalid number, goes to libphonenumber-js itself below.
  const fast = international ? fastInternational(digits) : fastNational(digits, defaultCountry!);
  if (fast !== undefined) return { ok: true, e164: fast };

  // National numbers are read in the row's country or with --default-country; say which, since
  // that is where a wrong country would come from.
  const readAs = international ? '' : `; it has no + in front, so it was read with ${countryFrom ?? `--default-country ${defaultCountry}`}`;
  let p: PhoneNumber;
  try {
    p = international ? parsePhoneNumberWithError(phone) : parsePhoneNumberWithError(phone, defaultCountry);
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    const fallback = international ? undefined : internationalFallback(digits, defaultCountry!);
    if (fallback !== undefined) return fallback;
    switch (e.message) {
      case 'INVALID_COUNTRY':
        return { ok: false, reason: `has an invalid country code: ${codePrefixes(digits)} are not country codes` };
      case 'TOO_SHORT':
        return { ok: false, reason: `is too short to be a phone number${readAs}` };
      case 'TOO_LONG':
        return { ok: false, reason: `is too long: a phone number has at most 15 digits${readAs}` };
      default:
        return { ok: false, reason: `is not a phone number${readAs}` };
    }
  }
  if (p.isValid()) return { ok: true, e164: p.number };
  const fallback = international ? undefined : internationalFallback(digits, defaultCountry!);
  if (fallback !== undefined) return fallback;

  const at = where(p, international ? undefined : defaultCountry);
  switch (validatePhoneNumberLength(p.number)) {
    case 'TOO_SHORT':
      return { ok: false, reason: `is too short for ${at}${readAs}` };
    case 'TOO_LONG':
      return { ok: false, reason: `is too long for ${at}${readAs}` };
    case 'INVALID_LENGTH':
      return { ok: false, reason: `has the wrong number of digits for ${at}${readAs}` };
    default:
      return { ok: false, reason: `is not a valid number for ${at}${readAs}` };
  }
}

/** `digits` read with a + in front: its E.164 form when that is a valid number, else undefined. */
function readInternational(digits: string): string | undefined {
  const fast = fastInternational(digits);
  if (fast !== undefined) return fast;
  try {
    const p = parsePhoneNumberWithError('+' + digits);
    return p.isValid() ? p.number : undefined;
  } catch (e) {
    if (e instanceof ParseError) return undefined;
    throw e;
  }
}

/**
 * A national number that is not valid in `country` but is a valid international number written
 * without its + (`4915112345678`, `33612345678`: exports and CRMs that store the digits only): the
 * international number, with a note. Only reached once the national reading has failed, so a
 * number valid in the row's country is always read as that country's.
 */
function internationalFallback(digits: string, country: CountryCode): PhoneCheck | undefined {
  if (digits.startsWith('0')) return undefined; // a trunk prefix: never a country code
  const e164 = readInternational(digits);
  if (e164 === undefined) return undefined;
  return { ok: true, e164, note: `phone ${digits} read as ${e164} (not a valid number for ${region(country)}, valid with a + in front)` };
}

// ---------------------------------------------------------------- the fast path
//
// Why: libphonenumber-js compiles a RegExp from its metadata's pattern text every time it tests
// a pattern (helpers/matchesEntirely.js), a dozen times a number: most of the 11–15 µs a valid
// number costs, against ~0.5–1 µs here. The library is used as published (no build-time patch),
// so the speed comes from here: the same decisions, in the same order, on the same metadata, with
// each pattern compiled once. The metadata is read through libphonenumber-js's exported Metadata
// class, partly through methods its README does not document (nationalNumberPattern(), type(),
// nationalPrefixForParsing()…): that is the price, and the agreement test named below pays it.
//
// It follows parse() + PhoneNumber.isValid() (libphonenumber-js 1.13: source/parse.js,
// helpers/extractCountryCallingCode.js, stripIddPrefix.js,
// extractCountryCallingCodeFromInternationalNumberWithoutPlusSign.js, extractNationalNumber.js,
// getCountryByCallingCode.js, getCountryByNationalNumber.js, getNumberType.js, isValid.js) for
// the only input checkPhone gives it: ASCII digits, with or without a leading +. It answers only
// "valid, and this is its E.164 form"; it returns undefined (and libphonenumber-js decides, and
// words the reason) for every number it finds invalid and for the cases it leaves to the library:
// a national-prefix transform rule (AR, BR, MX…), a national number that begins with the
// country's international call prefix, non-geographic calling codes (+800…), lengths outside the
// library's bounds. test/map-phone-fastpath.test.ts checks it against libphonenumber-js/max on a
// generated corpus of tens of thousands of numbers from every region, so an upgrade that changes
// a rule fails the tests instead of changing verdicts silently.

/** The library's bounds on a national (significant) number (constants.js). */
const MIN_LENGTH_FOR_NSN = 2;
const MAX_LENGTH_FOR_NSN = 17;
/** The number types getNumberType() tries: FIXED_LINE first, then the others. */
const NUMBER_TYPES = ['FIXED_LINE', 'MOBILE', 'PREMIUM_RATE', 'TOLL_FREE', 'SHARED_COST', 'VOIP', 'PERSONAL_NUMBER', 'PAGER', 'UAN', 'VOICEMAIL'] as const;

/** What libphonenumber-js's Metadata class gives for a selected numbering plan (its source/metadata.js). */
interface LibraryType {
  pattern(): string;
  possibleLengths(): number[] | undefined;
}
interface LibraryPlan {
  callingCode(): string;
  IDDPrefix(): string;
  nationalNumberPattern(): string;
  possibleLengths(): number[] | undefined;
  nationalPrefixForParsing(): string | undefined;
  nationalPrefixTransformRule(): string | undefined;
  leadingDigits(): string | undefined;
  hasTypes(): boolean;
  type(type: string): LibraryType | undefined;
}

/** A region's numbering plan with its patterns compiled once, exactly as the library compiles them. */
interface Plan {
  readonly callingCode: string;
  /** `^(?:nationalNumberPattern)$` (matchesEntirely). */
  readonly nationalNumber: RegExp;
  readonly possibleLengths: readonly number[] | undefined;
  /** leadingDigits as `String.prototype.search` compiles it. */
  readonly leadingDigits: RegExp | undefined;
  /** `^(?:nationalPrefixForParsing)` (extractNationalNumberFromPossiblyIncompleteNumber). */
  readonly nationalPrefix: RegExp | undefined;
  readonly hasTransformRule: boolean;
  /** IDDPrefix as stripIddPrefix compiles it. */
  readonly idd: RegExp | undefined;
  readonly hasTypes: boolean;
  /** The number types with a pattern: `^(?:pattern)$` and their possible lengths. */
  readonly types: readonly { readonly pattern: RegExp; readonly lengths: readonly number[] | undefined }[];
}

const plans = new Map<string, Plan>();
let libraryMetadata: { selectNumberingPlan(country: CountryCode): void; numberingPlan?: unknown } | undefined;

const entirely = (pattern: string): RegExp => new RegExp('^(?:' + pattern + ')$');

/** The compiled plan of a region (built the first time the region is seen). */
function planOf(country: string): Plan {
  let plan = plans.get(country);
  if (plan !== undefined) return plan;
  libraryMetadata ??= new Metadata();
  libraryMetadata.selectNumberingPlan(country as CountryCode);
  const p = libraryMetadata.numberingPlan as LibraryPlan;
  const types: { pattern: RegExp; lengths: readonly number[] | undefined }[] = [];
  if (p.hasTypes()) {
    for (const name of NUMBER_TYPES) {
      const t = p.type(name);
      const pattern = t?.pattern();
      if (t !== undefined && pattern) types.push({ pattern: entirely(pattern), lengths: t.possibleLengths() });
    }
  }
  const nationalPrefix = p.nationalPrefixForParsing();
  const leadingDigits = p.leadingDigits();
  const idd = p.IDDPrefix();
  plan = {
    callingCode: p.callingCode(),
    nationalNumber: entirely(p.nationalNumberPattern()),
    possibleLengths: p.possibleLengths(),
    leadingDigits: leadingDigits ? new RegExp(leadingDigits) : undefined,
    nationalPrefix: nationalPrefix ? new RegExp('^(?:' + nationalPrefix + ')') : undefined,
    hasTransformRule: Boolean(p.nationalPrefixTransformRule()),
    idd: idd ? new RegExp(idd) : undefined,
    hasTypes: p.hasTypes(),
    types,
  };
  plans.set(country, plan);
  return plan;
}

/** getNumberType() !== undefined: the national number matches the plan and one of its number types. */
function hasNumberType(nationalNumber: string, plan: Plan): boolean {
  if (!plan.nationalNumber.test(nationalNumber)) return false;
  for (const t of plan.types) {
    if (t.lengths && !t.lengths.includes(nationalNumber.length)) continue;
    if (t.pattern.test(nationalNumber)) return true;
  }
  return false;
}

/** isValidNumber(): by number type when the plan has types, else by the national number pattern. */
function isValidFor(nationalNumber: string, plan: Plan): boolean {
  return plan.hasTypes ? hasNumberType(nationalNumber, plan) : plan.nationalNumber.test(nationalNumber);
}

/** The regions of a geographic calling code (undefined for an unknown or non-geographic one). */
function regionsOf(callingCode: string): readonly string[] | undefined {
  const regions = metadata.country_calling_codes[callingCode];
  if (regions === undefined || (regions.length === 1 && regions[0]!.length === 3)) return undefined;
  return regions;
}

/** getCountryByCallingCode(): the region a national number of a calling code belongs to. */
function regionOf(callingCode: string, nationalNumber: string): string | undefined {
  const regions = regionsOf(callingCode);
  if (regions === undefined) return undefined;
  if (regions.length === 1) return regions[0];
  for (const region of regions) {
    const plan = planOf(region);
    if (plan.leadingDigits !== undefined) {
      if (nationalNumber.search(plan.leadingDigits) === 0) return region;
    } else if (hasNumberType(nationalNumber, plan)) return region;
  }
  return undefined;
}

type LengthCheck = 'IS_POSSIBLE' | 'TOO_SHORT' | 'TOO_LONG' | 'INVALID_LENGTH';

/** checkNumberLength() without a number type. */
function checkLength(nationalNumber: string, lengths: readonly number[] | undefined): LengthCheck {
  if (!lengths) return 'IS_POSSIBLE';
  const length = nationalNumber.length;
  const min = lengths[0]!;
  if (min === length) return 'IS_POSSIBLE';
  if (min > length) return 'TOO_SHORT';
  if (lengths[lengths.length - 1]! < length) return 'TOO_LONG';
  return lengths.indexOf(length, 1) >= 0 ? 'IS_POSSIBLE' : 'INVALID_LENGTH';
}

/**
 * extractNationalNumber(): `number` without the plan's national prefix when the library would
 * take it off, else `number`; undefined when a transform rule applies (left to the library).
 */
function nationalNumberOf(number: string, plan: Plan): string | undefined {
  if (plan.nationalPrefix === undefined) return number;
  const match = plan.nationalPrefix.exec(number);
  if (match === null) return number;
  const groups = match.length - 1;
  if (plan.hasTransformRule && groups > 0 && match[groups]) return undefined;
  const stripped = number.slice(match[0].length);
  if (stripped === number) return number;
  // shouldHaveExtractedNationalPrefix()
  if (plan.nationalNumber.test(number) && !plan.nationalNumber.test(stripped)) return number;
  if (plan.possibleLengths) {
    const region = regionOf(plan.callingCode, stripped);
    const lengths = region === undefined ? plan.possibleLengths : planOf(region).possibleLengths;
    const check = checkLength(stripped, lengths);
    if (check === 'TOO_SHORT' || check === 'INVALID_LENGTH') return number;
  }
  return stripped;
}

/** The E.164 form when `rest` after a geographic `callingCode` is a valid number; else undefined. */
function fromCallingCode(callingCode: string, regions: readonly string[], rest: string): string | undefined {
  // parse() selects the calling code's main region (the first listed) to take the national prefix off.
  const nationalNumber = nationalNumberOf(rest, planOf(regions[0]!));
  if (nationalNumber === undefined || nationalNumber.length < MIN_LENGTH_FOR_NSN || nationalNumber.length > MAX_LENGTH_FOR_NSN) return undefined;
  const region = regionOf(callingCode, nationalNumber) ?? regions[0]!;
  return isValidFor(nationalNumber, planOf(region)) ? '+' + callingCode + nationalNumber : undefined;
}

/**
 * `+digits` (digits only, not starting with 0): its E.164 form when libphonenumber-js/max finds
 * it valid; undefined when it does not, or when the fast path leaves the case to the library.
 * Exported for test/map-phone-fastpath.test.ts.
 */
export function fastInternational(digits: string): string | undefined {
  if (digits.length < 3 || digits.length > 3 + MAX_LENGTH_FOR_NSN || digits.startsWith('0')) return undefined;
  // extractCountryCallingCode(): the first 1-, 2- or 3-digit prefix that is a calling code.
  for (let i = 1; i <= 3 && i <= digits.length; i++) {
    const callingCode = digits.slice(0, i);
    if (metadata.country_calling_codes[callingCode] === undefined && metadata.nonGeographic?.[callingCode] === undefined) continue;
    const regions = regionsOf(callingCode);
    return regions === undefined ? undefined : fromCallingCode(callingCode, regions, digits.slice(i));
  }
  return undefined;
}

/**
 * A national number (digits only) read with `defaultCountry`: its E.164 form when
 * libphonenumber-js/max finds it valid; undefined when it does not, or when the fast path leaves
 * the case to the library. Exported for test/map-phone-fastpath.test.ts.
 */
export function fastNational(digits: string, defaultCountry: CountryCode): string | undefined {
  if (digits.length < 3 || digits.length > 250) return undefined;
  const plan = planOf(defaultCountry);
  // stripIddPrefix(): a number that begins with the country's international call prefix.
  if (plan.idd !== undefined && digits.search(plan.idd) === 0) return undefined;
  // extractCountryCallingCodeFromInternationalNumberWithoutPlusSign(): "44 7400 123456" read in GB.
  const callingCode = plan.callingCode;
  if (digits.startsWith(callingCode)) {
    const shorter = digits.slice(callingCode.length);
    const shorterNational = nationalNumberOf(shorter, plan);
    const national = nationalNumberOf(digits, plan);
    if (shorterNational === undefined || national === undefined) return undefined;
    if ((!plan.nationalNumber.test(national) && plan.nationalNumber.test(shorterNational)) || checkLength(national, plan.possibleLengths) === 'TOO_LONG') {
      const regions = regionsOf(callingCode);
      return regions === undefined ? undefined : fromCallingCode(callingCode, regions, shorter);
    }
  }
  const nationalNumber = nationalNumberOf(digits, plan);
  if (nationalNumber === undefined || nationalNumber.length < MIN_LENGTH_FOR_NSN || nationalNumber.length > MAX_LENGTH_FOR_NSN) return undefined;
  const region = regionOf(callingCode, nationalNumber) ?? defaultCountry;
  return isValidFor(nationalNumber, planOf(region)) ? '+' + callingCode + nationalNumber : undefined;
}

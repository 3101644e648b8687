// Phone numbers to E.164 with libphonenumber-js and its `max` metadata: the only metadata that
// tells a valid number from one that merely has a plausible length, so a typo or a fictional
// number (UK 07700 900xxx, French 06 39 98 xx xx) is refused here rather than stored in LiveDesk
// as a contact nobody can call.

import { ParseError, parsePhoneNumberWithError, validatePhoneNumberLength, type CountryCode, type PhoneNumber } from 'libphonenumber-js/max';
// The same module instance libphonenumber-js/max uses internally, so it costs no extra memory.
import metadata from 'libphonenumber-js/max/metadata';

export type { CountryCode };

export type PhoneCheck = { ok: true; e164: string } | { ok: false; reason: string };

const TWO_LETTERS = /^[A-Z]{2}$/;
const HAS_LETTER = /\p{L}/u;
const PHONE_EXTENSION = /(?:ext|x)\.?\s*\d+\s*$/i;
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
 * to recognise an extension. Without `defaultCountry`, a number without `+` is refused: guessing
 * the country would store wrong numbers silently.
 */
export function checkPhone(original: string, phone: string, defaultCountry?: CountryCode): PhoneCheck {
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
  if (!international && defaultCountry === undefined) return { ok: false, reason: NATIONAL };
  if (international && digits.startsWith('0')) {
    return { ok: false, reason: 'has an invalid country code: a country code never starts with 0' };
  }

  // National numbers are read with --default-country; say so, since that is where a wrong
  // country would come from.
  const readAs = international ? '' : `; it has no + in front, so it was read with --default-country ${defaultCountry}`;
  let p: PhoneNumber;
  try {
    p = international ? parsePhoneNumberWithError(phone) : parsePhoneNumberWithError(phone, defaultCountry);
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
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

// One row → a normalized, validated LiveDesk contact. Pure and per-row hot: regexes are compiled
// once, and a valid row allocates little beyond its result object.

import type { ErrorCode } from '../errors.js';
import type { ContactFields } from '../types.js';
import { countryOf } from './country.js';
import type { AttributeColumn, ResolvedMapping } from './mapping.js';
import { normalizeHeaderName } from './names.js';
import {
  MULTI_VALUE,
  cleanIdentifier,
  cleanName,
  cleanText,
  emailValue,
  isBlank,
  isPlaceholder,
  isSymbolPlaceholder,
  isScientificNotation,
  phoneValue,
  splitExtension,
} from './normalize.js';
import { checkPhone, type CountryCode } from './phone.js';

/** A contact as the map stage produces it: the API fields, plus the attributes a mapping file asked for. */
export type MappedContact = ContactFields & {
  custom_attributes?: Record<string, string>;
  additional_attributes?: Record<string, string>;
};

/** --invalid-phone: a row whose only problem is its phone number is failed, or created without it. */
export const INVALID_PHONE_MODES = ['fail', 'omit'] as const;
export type InvalidPhoneMode = (typeof INVALID_PHONE_MODES)[number];

export interface MapOptions {
  /** Country whose national numbers (written without + and a country code) are accepted. */
  defaultCountry?: CountryCode;
  /** --invalid-phone (default fail). */
  invalidPhone?: InvalidPhoneMode;
}

export type Validation =
  /**
   * `note`: what a person should know about the row (the results file's note column);
   * `phoneLeftOut`: its invalid phone was left out (--invalid-phone omit).
   */
  | { ok: true; contact: MappedContact; note?: string; phoneLeftOut?: true }
  /**
   * `phoneOnly`: the row fails for its phone number alone, and has other contact data: with
   * --invalid-phone omit it would have been created without the phone.
   */
  | { ok: false; code: ErrorCode; message: string; contact: MappedContact; phoneOnly?: true };

/** LiveDesk's (Chatwoot's) own email rule, applied after lower-casing. */
const EMAIL_LIVEDESK = /^[^@\s]+@[^@\s]+$/;
/**
 * Stricter than LiveDesk on purpose: the domain must have at least one dot and no empty labels
 * (`bob@localhost`, `bob@example..com`, `bob@.example.com`), and the address must not contain
 * consecutive dots anywhere. LiveDesk would accept such addresses, but mail to them is never
 * delivered, so importing them only creates contacts nobody can reach.
 */
const EMAIL_DOMAIN = /@[^@\s.]+(?:\.[^@\s.]+)+$/;
const EMAIL_DOUBLE_DOT = /\.\./;
const WHITESPACE = /\s/;
const WEB_URL_START = /^https?:\/\//i;

export const NO_CONTACT_DATA_MESSAGE = 'row has no name, email, phone number or identifier';

/** Why an email is rejected, or undefined when it is acceptable ('' when there is no better reason). */
function emailProblem(email: string): string | undefined {
  if (!EMAIL_LIVEDESK.test(email)) {
    const at = email.split('@').length - 1;
    if (at === 0) return '';
    if (at > 1) return 'it has more than one @';
    if (WHITESPACE.test(email)) return 'it contains a space';
    return 'there must be text before and after the @';
  }
  if (EMAIL_DOUBLE_DOT.test(email)) return 'it has two dots in a row';
  if (!EMAIL_DOMAIN.test(email)) return 'the part after @ must be a domain such as example.com';
  return undefined;
}

function isWebUrl(value: string): boolean {
  if (!WEB_URL_START.test(value)) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** True when a cell has something visible in it; the common empty cell is answered without a regex. */
function filled(value: string | undefined): value is string {
  return value !== undefined && value !== '' && !isBlank(value);
}

/** The first failing candidate of a field: what it normalized to, and the message for the row. */
interface Failure {
  value: string;
  code: ErrorCode;
  message: string;
}

// ------------------------------------------------------------------ names

/** A name in Chinese, Japanese or Korean script only (Han, kana, Hangul, with their marks such as 々 and ー). */
const CJK_NAME = /^[\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}\p{scx=Hangul}]+$/u;
/** Every CJK letter is above U+1100 (Hangul Jamo): a Latin name is answered by its first character. */
function isCjkName(part: string): boolean {
  return part.charCodeAt(0) >= 0x1100 && CJK_NAME.test(part);
}

/** Header names (normalized, see normalizeHeaderName) of a family-name column, in the languages the aliases know. */
const FAMILY_NAME_HEADER = /lastname|familyname|surname|^last$|^lname$|nachname|familienname|nomdefamille|^nom$|apellido|cognome|achternaam|sobrenome/;
const FAMILY_NAME_HEADER_CJK: ReadonlySet<string> = new Set(['姓', '姓氏', '苗字', '성']);

/** Each join's family-name column (header index), or -1 when no column of the join is one: found once a mapping. */
const familyColumns = new WeakMap<ResolvedMapping, number>();

/**
 * The family-name column of a join, by its header name (`Last Name`, `Family Name`, `Surname`,
 * `Person - Last name`, `Nachname`, `姓`…), wherever it is in the join: a detected join is always
 * first / middle / last, a mapping file's may be in any order.
 */
function familyColumn(m: ResolvedMapping, columns: readonly number[]): number {
  let found = familyColumns.get(m);
  if (found !== undefined) return found;
  found = -1;
  for (const c of columns) {
    const h = m.header[c];
    if (h === undefined) continue;
    if (FAMILY_NAME_HEADER.test(normalizeHeaderName(h)) || FAMILY_NAME_HEADER_CJK.has(h.trim())) {
      found = c;
      break;
    }
  }
  familyColumns.set(m, found);
  return found;
}

/**
 * A name cell as a name: cleaned; a placeholder that is no word (`-`, `N/A`, `[not provided]`) is
 * no name. `Null` and `Unknown` are kept: they are real family names.
 */
function namePart(raw: string | undefined): string {
  if (!filled(raw)) return '';
  const v = cleanName(raw);
  return isSymbolPlaceholder(v) ? '' : v;
}

/**
 * A name joined from parts (first / middle / last): the non-empty parts joined by one space, in
 * the join's order. When every part is in Chinese, Japanese or Korean script and the family name
 * is one of them, the family name comes first and nothing separates the parts (`王` + `美玲` →
 * `王美玲`, `김` + `민준` → `김민준`), as those names are written.
 */
function joinedName(values: readonly string[], m: ResolvedMapping, cols: readonly number[]): string {
  let joined = '';
  let parts = 0;
  let cjk = true;
  for (let i = 0; i < cols.length; i++) {
    const part = namePart(values[cols[i]!]);
    if (part === '') continue;
    joined = joined === '' ? part : joined + ' ' + part;
    parts++;
    if (cjk) cjk = isCjkName(part);
  }
  if (!cjk || parts < 2) return joined;
  const family = familyColumn(m, cols);
  const familyName = family === -1 ? '' : namePart(values[family]);
  if (familyName === '') return joined;
  let out = familyName;
  for (const c of cols) if (c !== family) out += namePart(values[c]);
  return out;
}

/**
 * The person's name; else (`nameFallback`: a company, then a nickname column) the first of those
 * that has one, and `fromFallback` says so (a module variable, not a returned pair: this runs
 * for every row, and mapRow reads it right after the call).
 */
let fromFallback = false;
function nameOf(values: readonly string[], m: ResolvedMapping): string {
  fromFallback = false;
  const name = m.fields.name;
  if (name !== undefined) {
    const cols = name.columns;
    if (name.kind === 'join') {
      const joined = joinedName(values, m, cols);
      if (joined !== '') return joined;
    } else {
      for (let i = 0; i < cols.length; i++) {
        const v = namePart(values[cols[i]!]);
        if (v !== '') return v;
      }
    }
  }
  const fallback = m.nameFallback;
  if (fallback !== undefined) {
    for (let i = 0; i < fallback.length; i++) {
      const v = namePart(values[fallback[i]!]);
      if (v !== '') {
        fromFallback = true;
        return v;
      }
    }
  }
  return '';
}

// ------------------------------------------------------------------ phones

/** A phone value with only digits and an optional + once formatting is removed: the common case. */
const PLAIN_PHONE = /^\+?\d+$/;
const SCIENTIFIC_REASON =
  "is in Excel's scientific notation: Excel stored the phone as a number and lost its last digits; " +
  'format the column as Text in the original file and export it again';

/** The country a row's national numbers are read in, and how messages name it. */
interface RowCountry {
  code: CountryCode | undefined;
  /** `the row's country DE` when the row's country column gave it; undefined for --default-country. */
  from: string | undefined;
  /** Said after the reason when the row's country could not be read. */
  unknown: string | undefined;
}

const DEFAULT_COUNTRY: RowCountry = { code: undefined, from: undefined, unknown: undefined };

/** The row's country column (the first of its columns with a value), before --default-country. */
function rowCountry(values: readonly string[], m: ResolvedMapping, opts: MapOptions): RowCountry {
  const source = m.country;
  if (source !== undefined) {
    for (const c of source.columns) {
      const raw = values[c];
      if (!filled(raw)) continue;
      const text = cleanText(raw);
      if (text === '' || isPlaceholder(text)) continue;
      const code = countryOf(text);
      if (code !== undefined) return { code, from: `the row's country, ${code}`, unknown: undefined };
      return { code: opts.defaultCountry, from: undefined, unknown: ` (the row's country "${text}" is not a country this tool knows)` };
    }
  }
  return opts.defaultCountry === undefined ? DEFAULT_COUNTRY : { code: opts.defaultCountry, from: undefined, unknown: undefined };
}

type PhoneRead = { ok: true; e164: string; note: string | undefined } | { ok: false; failure: Failure; reason: string; shown: string };

/**
 * One phone value that is not plain digits (cleaned, not empty): an extension, Excel's
 * scientific notation, letters. Its E.164 form with what a person should know (an extension
 * removed, a number read as international), or why it is not a valid number.
 */
function readPhone(text: string, country: RowCountry): PhoneRead | undefined {
  if (isScientificNotation(text)) {
    return { ok: false, failure: { value: phoneValue(text), code: 'invalid_phone', message: `phone "${text}" ${SCIENTIFIC_REASON}` }, reason: SCIENTIFIC_REASON, shown: text };
  }
  const ext = splitExtension(text);
  const number = phoneValue(ext === undefined ? text : ext[0]);
  if (number === '') return undefined;
  const note = ext === undefined ? undefined : `phone extension ${ext[1]} removed (LiveDesk has no field for it)`;
  return checked(text, number, number.charCodeAt(0) === 0x2b ? DEFAULT_COUNTRY : country, note);
}

/** A normalized phone checked in its country (see checkPhone), as a PhoneRead; `note` is kept with a valid one. */
function checked(text: string, number: string, c: RowCountry, note: string | undefined): PhoneRead {
  const check = checkPhone(text, number, c.code, c.from);
  if (check.ok) {
    const notes = check.note === undefined ? note : note === undefined ? check.note : `${note}; ${check.note}`;
    return { ok: true, e164: check.e164, note: notes };
  }
  const reason = c.unknown === undefined ? check.reason : check.reason + c.unknown;
  return { ok: false, failure: { value: number, code: 'invalid_phone', message: `phone "${text}" ${reason}` }, reason, shown: text };
}

// ------------------------------------------------------------------ the row

/**
 * Maps one CSV row: every field's candidate columns are tried in order and the first value that
 * normalizes and validates wins (an email or phone cell may hold several values: ` ::: `, `, `,
 * `;`); when none does, the field keeps the first candidate's value and the row fails with its
 * reason. The first failing rule decides the row, in this order: no contact data, email, phone,
 * avatar URL. With --invalid-phone omit, a row whose only problem is its phone is valid without
 * it (when it has other contact data), and its note says so. The contact is the normalized one
 * either way.
 */
export function mapRow(values: readonly string[], m: ResolvedMapping, opts: MapOptions): Validation {
  const contact: MappedContact = {};
  const f = m.fields;
  let note: string | undefined;

  const name = m.fields.name !== undefined || m.nameFallback !== undefined ? nameOf(values, m) : '';
  if (name !== '') contact.name = name;
  // A company or nickname names a contact; it is not one. A row with nothing else fails as before.
  const personName = name !== '' && !fromFallback;

  let emailFailure: Failure | undefined;
  const email = f.email;
  if (email !== undefined) {
    const cols = email.columns;
    for (let i = 0; i < cols.length; i++) {
      const raw = values[cols[i]!];
      if (!filled(raw)) continue;
      const text = cleanText(raw);
      // The common case, one valid address, without looking for separators: a valid address has
      // no space (so no ` ::: ` or `, `) and, when it also has no `;`, is one value.
      const whole = emailValue(text);
      if (whole === '') continue;
      const problem = emailProblem(whole);
      if (problem === undefined && whole.indexOf(';') === -1) {
        contact.email = whole;
        emailFailure = undefined;
        break;
      }
      if (!MULTI_VALUE.test(text)) {
        if (problem === undefined) {
          contact.email = whole;
          emailFailure = undefined;
          break;
        }
        emailFailure ??= invalidEmail(whole, text, problem);
        continue;
      }
      let found = false;
      for (const part of text.split(MULTI_VALUE)) {
        const v = emailValue(part.trim());
        if (v === '') continue;
        const problem = emailProblem(v);
        if (problem === undefined) {
          contact.email = v;
          found = true;
          break;
        }
        emailFailure ??= invalidEmail(v, part.trim(), problem);
      }
      if (found) {
        emailFailure = undefined;
        break;
      }
    }
    if (emailFailure !== undefined) contact.email = emailFailure.value;
  }

  let phoneFailure: PhoneRead | undefined;
  const phone = f.phone_number;
  if (phone !== undefined) {
    // The row's country is read only for a national number, once.
    let country: RowCountry | undefined;
    const cols = phone.columns;
    let found = false;
    for (let i = 0; i < cols.length && !found; i++) {
      const raw = values[cols[i]!];
      if (!filled(raw)) continue;
      const text = cleanText(raw);
      const v = phoneValue(text);
      if (v === '') continue;
      // The common case: one value, nothing but digits once formatted.
      if (PLAIN_PHONE.test(v)) {
        const read = checked(text, v, v.charCodeAt(0) === 0x2b ? DEFAULT_COUNTRY : (country ??= rowCountry(values, m, opts)), undefined);
        if (read.ok) {
          contact.phone_number = read.e164;
          if (read.note !== undefined) note = read.note;
          found = true;
        } else phoneFailure ??= read;
        continue;
      }
      // Several values, an extension, letters, Excel's notation: rare, so the country is read up front.
      const parts = MULTI_VALUE.test(text) ? text.split(MULTI_VALUE) : [text];
      country ??= rowCountry(values, m, opts);
      for (const p of parts) {
        const part = p.trim();
        if (part === '' || isPlaceholder(part)) continue;
        const read = readPhone(part, country);
        if (read === undefined) continue;
        if (read.ok) {
          contact.phone_number = read.e164;
          if (read.note !== undefined) note = read.note;
          found = true;
          break;
        }
        phoneFailure ??= read;
      }
    }
    if (found) phoneFailure = undefined;
    else if (phoneFailure !== undefined && !phoneFailure.ok) contact.phone_number = phoneFailure.failure.value;
  }

  let avatarFailure: Failure | undefined;
  const avatar = f.avatar_url;
  if (avatar !== undefined) {
    const cols = avatar.columns;
    for (let i = 0; i < cols.length; i++) {
      const raw = values[cols[i]!];
      if (!filled(raw)) continue;
      const v = cleanText(raw);
      if (v === '' || isPlaceholder(v)) continue;
      if (isWebUrl(v)) {
        contact.avatar_url = v;
        avatarFailure = undefined;
        break;
      }
      avatarFailure ??= {
        value: v,
        code: 'invalid_avatar_url',
        message: `avatar URL "${v}" is not a web address starting with http:// or https://`,
      };
    }
    if (avatarFailure !== undefined) contact.avatar_url = avatarFailure.value;
  }

  const identifier = f.identifier;
  if (identifier !== undefined) {
    const cols = identifier.columns;
    for (let i = 0; i < cols.length; i++) {
      const raw = values[cols[i]!];
      if (!filled(raw)) continue;
      const v = cleanIdentifier(raw);
      if (v !== '') {
        contact.identifier = v;
        break;
      }
    }
  }

  if (m.attributes !== undefined) {
    const custom = attributeValues(values, m.attributes.custom_attributes);
    if (custom !== undefined) contact.custom_attributes = custom;
    const additional = attributeValues(values, m.attributes.additional_attributes);
    if (additional !== undefined) contact.additional_attributes = additional;
  }

  if (
    !personName &&
    contact.email === undefined &&
    contact.phone_number === undefined &&
    contact.identifier === undefined
  ) {
    const message =
      contact.name === undefined
        ? NO_CONTACT_DATA_MESSAGE
        : `row has no person name, email, phone number or identifier: "${contact.name}" (a company or nickname column) alone is not imported, since nothing would stop a rerun from creating it again`;
    return { ok: false, code: 'no_contact_data', message, contact };
  }
  if (emailFailure !== undefined) return { ok: false, code: emailFailure.code, message: emailFailure.message, contact };
  if (phoneFailure !== undefined && !phoneFailure.ok) {
    const { failure } = phoneFailure;
    // Only the phone is wrong, and the row is still someone LiveDesk can tell apart without it: an
    // email or identifier. (A name alone would be created again by every rerun: nothing unique.)
    const phoneOnly = avatarFailure === undefined && (contact.email !== undefined || contact.identifier !== undefined);
    if (phoneOnly && opts.invalidPhone === 'omit') {
      delete contact.phone_number;
      const left = `phone number "${phoneFailure.shown}" left out: it ${phoneFailure.reason} (--invalid-phone omit)`;
      return { ok: true, contact, note: left, phoneLeftOut: true };
    }
    return phoneOnly
      ? { ok: false, code: failure.code, message: failure.message, contact, phoneOnly: true }
      : { ok: false, code: failure.code, message: failure.message, contact };
  }
  if (avatarFailure !== undefined) return { ok: false, code: avatarFailure.code, message: avatarFailure.message, contact };
  return note === undefined ? { ok: true, contact } : { ok: true, contact, note };
}

function invalidEmail(value: string, shown: string, problem: string): Failure {
  return { value, code: 'invalid_email', message: `email "${shown}" is not a valid address` + (problem === '' ? '' : `: ${problem}`) };
}

/** Trimmed values of the attribute columns; empty ones are left out, and so is an empty object. */
function attributeValues(values: readonly string[], list: readonly AttributeColumn[] | undefined): Record<string, string> | undefined {
  if (list === undefined) return undefined;
  let out: Record<string, string> | undefined;
  for (const a of list) {
    const raw = values[a.column];
    if (!filled(raw)) continue;
    // Sent as written (a mapping file asked for the column): placeholders are not guessed at here.
    const v = cleanText(raw);
    if (v !== '') (out ??= {})[a.key] = v;
  }
  return out;
}

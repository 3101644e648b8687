// One row → a normalized, validated LiveDesk contact. Pure and per-row hot: regexes are compiled
// once, and a valid row allocates little beyond its result object.

import type { ErrorCode } from '../errors.js';
import type { ContactFields } from '../types.js';
import type { AttributeColumn, ResolvedMapping } from './mapping.js';
import { cleanName, cleanText, isBlank, normalizeEmail, normalizePhone } from './normalize.js';
import { checkPhone, type CountryCode } from './phone.js';

/** A contact as the map stage produces it: the API fields, plus the attributes a mapping file asked for. */
export type MappedContact = ContactFields & {
  custom_attributes?: Record<string, string>;
  additional_attributes?: Record<string, string>;
};

export interface MapOptions {
  /** Country whose national numbers (written without + and a country code) are accepted. */
  defaultCountry?: CountryCode;
}

export type Validation =
  | { ok: true; contact: MappedContact }
  | { ok: false; code: ErrorCode; message: string; contact: MappedContact };

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

/**
 * Maps one CSV row: every field's candidate columns are tried in order and the first value that
 * normalizes and validates wins; when none does, the field keeps the first candidate's value and
 * the row fails with its reason. The first failing rule decides the row, in this order: no
 * contact data, email, phone, avatar URL. The contact is the normalized one either way.
 */
export function mapRow(values: readonly string[], m: ResolvedMapping, opts: MapOptions): Validation {
  const contact: MappedContact = {};
  const f = m.fields;
  let failure: Failure | undefined;

  // name: a full-name column, or the non-empty parts joined by one space.
  const name = f.name;
  if (name !== undefined) {
    const cols = name.columns;
    if (name.kind === 'join') {
      let joined = '';
      for (let i = 0; i < cols.length; i++) {
        const raw = values[cols[i]!];
        if (!filled(raw)) continue;
        const part = cleanName(raw);
        if (part !== '') joined = joined === '' ? part : joined + ' ' + part;
      }
      if (joined !== '') contact.name = joined;
    } else {
      for (let i = 0; i < cols.length; i++) {
        const raw = values[cols[i]!];
        if (!filled(raw)) continue;
        const v = cleanName(raw);
        if (v !== '') {
          contact.name = v;
          break;
        }
      }
    }
  }

  const email = f.email;
  if (email !== undefined) {
    let first: Failure | undefined;
    const cols = email.columns;
    for (let i = 0; i < cols.length; i++) {
      const raw = values[cols[i]!];
      if (!filled(raw)) continue;
      const v = normalizeEmail(raw);
      if (v === '') continue;
      const problem = emailProblem(v);
      if (problem === undefined) {
        contact.email = v;
        first = undefined;
        break;
      }
      first ??= {
        value: v,
        code: 'invalid_email',
        message: `email "${cleanText(raw)}" is not a valid address` + (problem === '' ? '' : `: ${problem}`),
      };
    }
    if (first !== undefined) {
      contact.email = first.value;
      failure = first;
    }
  }

  const phone = f.phone_number;
  if (phone !== undefined) {
    let first: Failure | undefined;
    const cols = phone.columns;
    for (let i = 0; i < cols.length; i++) {
      const raw = values[cols[i]!];
      if (!filled(raw)) continue;
      const v = normalizePhone(raw);
      if (v === '') continue;
      const shown = cleanText(raw);
      const check = checkPhone(shown, v, opts.defaultCountry);
      if (check.ok) {
        contact.phone_number = check.e164;
        first = undefined;
        break;
      }
      first ??= { value: v, code: 'invalid_phone', message: `phone "${shown}" ${check.reason}` };
    }
    if (first !== undefined) {
      contact.phone_number = first.value;
      failure ??= first;
    }
  }

  const avatar = f.avatar_url;
  if (avatar !== undefined) {
    let first: Failure | undefined;
    const cols = avatar.columns;
    for (let i = 0; i < cols.length; i++) {
      const raw = values[cols[i]!];
      if (!filled(raw)) continue;
      const v = cleanText(raw);
      if (v === '') continue;
      if (isWebUrl(v)) {
        contact.avatar_url = v;
        first = undefined;
        break;
      }
      first ??= {
        value: v,
        code: 'invalid_avatar_url',
        message: `avatar URL "${v}" is not a web address starting with http:// or https://`,
      };
    }
    if (first !== undefined) {
      contact.avatar_url = first.value;
      failure ??= first;
    }
  }

  const identifier = f.identifier;
  if (identifier !== undefined) {
    const cols = identifier.columns;
    for (let i = 0; i < cols.length; i++) {
      const raw = values[cols[i]!];
      if (!filled(raw)) continue;
      const v = cleanText(raw);
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
    contact.name === undefined &&
    contact.email === undefined &&
    contact.phone_number === undefined &&
    contact.identifier === undefined
  ) {
    return { ok: false, code: 'no_contact_data', message: NO_CONTACT_DATA_MESSAGE, contact };
  }
  if (failure !== undefined) return { ok: false, code: failure.code, message: failure.message, contact };
  return { ok: true, contact };
}

/** Trimmed values of the attribute columns; empty ones are left out, and so is an empty object. */
function attributeValues(values: readonly string[], list: readonly AttributeColumn[] | undefined): Record<string, string> | undefined {
  if (list === undefined) return undefined;
  let out: Record<string, string> | undefined;
  for (const a of list) {
    const raw = values[a.column];
    if (!filled(raw)) continue;
    const v = cleanText(raw);
    if (v !== '') (out ??= {})[a.key] = v;
  }
  return out;
}

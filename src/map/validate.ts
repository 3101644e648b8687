// Normalizing and validating one contact. Pure and per-row hot: regexes are compiled once, and a
// valid row allocates only its result object.

import type { ContactFields, ErrorCode } from '../types.js';
import { cleanName, cleanText, normalizeEmail, normalizePhone } from './normalize.js';

export type Validation =
  | { ok: true; contact: ContactFields }
  | { ok: false; code: ErrorCode; message: string; contact: ContactFields };

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
/** LiveDesk's (Chatwoot's) phone rule: E.164, `+`, a country code not starting with 0, 2–15 digits. */
const PHONE_E164 = /^\+[1-9]\d{1,14}$/;
const HAS_LETTER = /\p{L}/u;
const PHONE_EXTENSION = /(?:ext|x)\.?\s*\d+\s*$/i;
const NON_PHONE_CHAR = /[^+\d]/;
const WEB_URL_START = /^https?:\/\//i;

const E164_HINT = 'is not in international E.164 form (+ and country code, e.g. +14155550100)';

export const NO_CONTACT_DATA_MESSAGE = 'row has no name, email, phone number or identifier';

/** Normalizes a contact's fields; empty values become absent. */
export function normalizeContact(raw: ContactFields): ContactFields {
  const out: ContactFields = {};
  if (raw.name !== undefined) {
    const v = cleanName(raw.name);
    if (v !== '') out.name = v;
  }
  if (raw.email !== undefined) {
    const v = normalizeEmail(raw.email);
    if (v !== '') out.email = v;
  }
  if (raw.phone_number !== undefined) {
    const v = normalizePhone(raw.phone_number);
    if (v !== '') out.phone_number = v;
  }
  if (raw.avatar_url !== undefined) {
    const v = cleanText(raw.avatar_url);
    if (v !== '') out.avatar_url = v;
  }
  if (raw.identifier !== undefined) {
    const v = cleanText(raw.identifier);
    if (v !== '') out.identifier = v;
  }
  return out;
}

/** Why an email is rejected, or undefined when it is acceptable. */
function emailProblem(email: string): string | undefined {
  if (!EMAIL_LIVEDESK.test(email)) {
    const at = email.split('@').length - 1;
    if (at === 0) return '';
    if (at > 1) return 'it has more than one @';
    if (/\s/.test(email)) return 'it contains a space';
    return 'there must be text before and after the @';
  }
  if (EMAIL_DOUBLE_DOT.test(email)) return 'it has two dots in a row';
  if (!EMAIL_DOMAIN.test(email)) return 'the part after @ must be a domain such as example.com';
  return undefined;
}

function phoneMessage(original: string, phone: string): string {
  const base = `phone "${original}" ${E164_HINT}`;
  if (HAS_LETTER.test(phone)) {
    return PHONE_EXTENSION.test(original)
      ? `${base}: it contains letters (remove the extension, or put it in another column)`
      : `${base}: it contains letters, a phone number must be digits only`;
  }
  if (!phone.startsWith('+')) {
    return phone.startsWith('0') && !NON_PHONE_CHAR.test(phone)
      ? `${base}: replace the leading 0 with + and the country code`
      : base;
  }
  const bad = NON_PHONE_CHAR.exec(phone.slice(1));
  if (bad !== null) return `${base}: it contains "${bad[0]}"`;
  if (phone[1] === '0') return `${base}: a country code never starts with 0`;
  const digits = phone.length - 1;
  if (digits > 15) return `${base}: it has ${digits} digits, at most 15 are allowed`;
  return `${base}: it has too few digits`;
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

/**
 * Normalizes a contact, then validates it. The first failing rule decides, in this order: no
 * contact data, email, phone, avatar URL. The returned contact is the normalized one either way.
 */
export function validateContact(raw: ContactFields): Validation {
  const contact = normalizeContact(raw);
  if (
    contact.name === undefined &&
    contact.email === undefined &&
    contact.phone_number === undefined &&
    contact.identifier === undefined
  ) {
    return { ok: false, code: 'no_contact_data', message: NO_CONTACT_DATA_MESSAGE, contact };
  }
  if (contact.email !== undefined) {
    const problem = emailProblem(contact.email);
    if (problem !== undefined) {
      const shown = cleanText(raw.email ?? '');
      const message = `email "${shown}" is not a valid address` + (problem === '' ? '' : `: ${problem}`);
      return { ok: false, code: 'invalid_email', message, contact };
    }
  }
  if (contact.phone_number !== undefined && !PHONE_E164.test(contact.phone_number)) {
    const message = phoneMessage(cleanText(raw.phone_number ?? ''), contact.phone_number);
    return { ok: false, code: 'invalid_phone', message, contact };
  }
  if (contact.avatar_url !== undefined && !isWebUrl(contact.avatar_url)) {
    const message = `avatar URL "${contact.avatar_url}" is not a web address starting with http:// or https://`;
    return { ok: false, code: 'invalid_avatar_url', message, contact };
  }
  return { ok: true, contact };
}

// A plain contact (one value per field) through the map stage's own rules: how the validation
// tests state their cases without building a header and a mapping each time.
import { CONTACT_FIELDS, type ContactField, type ContactFields } from '../../src/types.js';
import { cleanIdentifier, cleanName, cleanText, mapRow, normalizeEmail, normalizePhone, type MapOptions, type ResolvedMapping, type Validation } from '../../src/map/index.js';

const SINGLE_FIELD_ORDER: readonly ContactField[] = ['name', 'email', 'phone_number', 'avatar_url', 'identifier'];
/** One column per field, in SINGLE_FIELD_ORDER: how validateContact feeds a plain contact to mapRow. */
const SINGLE_COLUMN_MAPPING: ResolvedMapping = {
  fields: Object.fromEntries(SINGLE_FIELD_ORDER.map((f, i) => [f, { kind: 'columns', columns: [i] }])),
  header: [...SINGLE_FIELD_ORDER],
  ignored: [],
  detected: false,
};

/**
 * Normalizes and validates a contact given as raw field values (one candidate per field), by the
 * same rules as mapRow. For tests and callers that already hold a contact.
 */
export function validateContact(raw: ContactFields, opts: MapOptions = {}): Validation {
  const values = SINGLE_FIELD_ORDER.map((f) => raw[f] ?? '');
  return mapRow(values, SINGLE_COLUMN_MAPPING, opts);
}

/**
 * A contact's fields cleaned the way mapRow cleans them before validating (phone formatting
 * removed but not converted to E.164); empty values become absent.
 */
export function normalizeContact(raw: ContactFields): ContactFields {
  const out: ContactFields = {};
  for (const field of CONTACT_FIELDS) {
    const value = raw[field];
    if (value === undefined) continue;
    const v = CLEANERS[field](value);
    if (v !== '') out[field] = v;
  }
  return out;
}

/** How each field is cleaned before validation. */
const CLEANERS: Record<ContactField, (v: string) => string> = {
  name: cleanName,
  email: normalizeEmail,
  phone_number: normalizePhone,
  avatar_url: cleanText,
  identifier: cleanIdentifier,
};

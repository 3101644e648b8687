// The shapes a row takes on its way through the pipeline:
//   source (SourceRecord) → map (MappedRow) → send (Outcome) → sinks.
// Every input row ends in exactly one Outcome; the union below is what holds that invariant.

/** Fields of a LiveDesk contact that the importer can fill from a CSV column. */
export const CONTACT_FIELDS = ['name', 'email', 'phone_number', 'avatar_url', 'identifier'] as const;
export type ContactField = (typeof CONTACT_FIELDS)[number];

/** A contact's fields after normalization and validation: only non-empty values are present. */
export type ContactFields = Partial<Record<ContactField, string>>;

/** What is sent for a row: the fields, plus attribute objects when a mapping file asks for them. */
export type ContactPayload = ContactFields & {
  custom_attributes?: Record<string, string>;
  additional_attributes?: Record<string, string>;
};

/** The body of POST /api/v2/accounts/contacts. */
export type CreateContactBody = ContactPayload & {
  inbox_id: number | string;
};

/**
 * Stable codes written to the failures file's `_error` column. Scripts branch on them: add, never
 * rename.
 */
export const ERROR_CODES = [
  'invalid_email', // email fails LiveDesk's rule
  'invalid_phone', // phone is not E.164 after normalization
  'invalid_avatar_url', // avatar_url is not an http(s) URL
  'no_contact_data', // none of name, email, phone_number, identifier
  'malformed_row', // the CSV row itself is broken (field count, quoting, size)
  'rejected', // LiveDesk answered 4xx for this row's data (message included)
  'server_error', // 5xx after every retry
  'rate_limited', // still 429 after every retry
  'network', // connection refused / reset after every retry
  'timeout', // no answer within --timeout after every retry
  'bad_response', // a 2xx whose body carries no contact ID
  'unconfirmed', // a row with no unique key whose request may or may not have created it
  'already_exists', // LiveDesk has this contact and --on-existing fail was chosen
  'duplicate_in_file', // an earlier row of the same file has the same email, phone or identifier
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** One record as the source stage yields it. */
export type SourceRecord =
  | {
      kind: 'record';
      /** 1-based data-record number in the input; the header is not counted. */
      row: number;
      /** 1-based physical line where the record starts in the input file. */
      line: number;
      /** Cell values, aligned with the header. */
      values: string[];
    }
  | {
      kind: 'malformed';
      row: number;
      line: number;
      /** Whatever cells could be recovered (may be empty). */
      values: string[];
      message: string;
    };

/** A row after mapping and validation, ready to send. */
export interface ValidRow {
  row: number;
  line: number;
  values: string[];
  contact: ContactPayload;
}

/** The terminal outcome of one input row. */
export type Outcome =
  | { kind: 'created'; row: number; values: string[]; contact: ContactPayload; contactId: string }
  // The contact was already in LiveDesk: our own earlier attempt (a timeout or reset after
  // LiveDesk stored it) was answered "already been taken" on retry, and the lookup found it.
  | { kind: 'existing'; row: number; values: string[]; contact: ContactPayload; contactId: string }
  // Already in LiveDesk, and updated with this row's fields (--on-existing update).
  | { kind: 'updated'; row: number; values: string[]; contact: ContactPayload; contactId: string }
  | {
      kind: 'failed';
      row: number;
      values: string[];
      contact?: ContactPayload;
      code: ErrorCode;
      message: string;
    };

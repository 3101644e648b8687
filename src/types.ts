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

import type { ErrorCode } from './errors.js';

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
      /** The record's text as read (decoded), line breaks included: the failures file keeps it, so no data is lost. */
      raw?: string;
      /** Physical lines the record covered, when more than one (the summary says so). */
      lines?: number;
    };

/** A row after mapping and validation, ready to send. */
export interface ValidRow {
  kind: 'ready';
  row: number;
  line: number;
  values: string[];
  contact: ContactPayload;
  /** What the map stage changed that a person should know (an extension removed, a phone left out): the landed row's note. */
  note?: string;
}

/**
 * The terminal outcome of one input row: every row read becomes exactly one of these, decided by
 * the stage that knows (map: skipped, failed before sending; send: the rest), and the sinks
 * (journal, results, failures, summary, report, progress) consume nothing else.
 */
export type Outcome =
  /** LiveDesk created the contact. */
  | Landed<'created'>
  /** LiveDesk already had it (--on-existing skip, or our own earlier request that got no answer). */
  | Landed<'existing'>
  /** LiveDesk had it, and it was updated with this row's fields (--on-existing update). */
  | Landed<'updated'>
  /**
   * The state store knows LiveDesk holds this row's contact, with exactly these fields as last
   * sent: nothing was sent (issue 13). A dry run with a store says the same.
   */
  | Landed<'unchanged'>
  /** Dry run with a state store: known, but its fields changed: a live run with --on-existing update would update it. */
  | { kind: 'would_update'; row: number; values: string[]; contact: ContactPayload; contactId: string }
  /** Dry run with --check-existing: LiveDesk has no such contact, so a live run would create it. */
  | { kind: 'would_create'; row: number; values: string[]; contact: ContactPayload }
  /**
   * Dry run with --check-existing: a LiveDesk contact holds one of the row's keys but disagrees on
   * another (see send/identity.ts), so it is not the row's contact and a live run would not take
   * it for one. `reason` is the failure a live run gives it (phone_taken with --phone-taken fail).
   */
  | Conflict
  /** Dry run: the row is valid and would be sent. */
  | { kind: 'valid'; row: number; values: string[]; contact: ContactPayload }
  | Failed
  /** Every cell is blank: nothing to import, written to neither file. */
  | { kind: 'skipped'; row: number }
  /** Valid, but not sent (or not checked) because the run stopped first: --resume sends it. */
  | { kind: 'notSent'; row: number; reason?: string };

export type Landed<K extends 'created' | 'existing' | 'updated' | 'unchanged'> = {
  kind: K;
  row: number;
  values: string[];
  /** The fields as LiveDesk holds them: without the phone when it was left out. */
  contact: ContactPayload;
  contactId: string;
  /** Said in the results file's `note` column: what a person should know about this row. */
  note?: string;
  /** The row's phone number was not sent: another contact holds it (--phone-taken omit). */
  leftOut?: 'phone_number';
  /** Found by a search: the keys as LiveDesk holds them (the state store records these, not the row's). */
  held?: { identifier?: string; email?: string; phone_number?: string };
  /** LiveDesk is known to hold exactly the row's fields (sent by us, or seen equal in a search). */
  exact?: true;
};

export interface Conflict {
  kind: 'conflict';
  row: number;
  values: string[];
  contact: ContactPayload;
  /** The LiveDesk contact that holds the row's key. */
  holderId: string;
  reason: Extract<ErrorCode, 'phone_taken' | 'key_conflict'>;
  note: string;
}

export interface Failed {
  kind: 'failed';
  row: number;
  values: string[];
  contact?: ContactPayload;
  code: ErrorCode;
  message: string;
  /** The value that made it fail, when one cell did (the report highlights it). */
  field?: string;
  value?: string;
  /** A request of this row may have reached LiveDesk (a timeout, a reset): --resume settles it by search. */
  ambiguous?: boolean;
  /** invalid_phone, and nothing else is wrong: --invalid-phone omit would create the row without its phone. */
  phoneOnly?: true;
  /** malformed_row: the record's text as read, for the failures file (its cells may not hold it all). */
  raw?: string;
  /** malformed_row: the physical lines the record covered, when more than one. */
  lines?: number;
}

export type OutcomeKind = Outcome['kind'];

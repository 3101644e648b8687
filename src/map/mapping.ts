// What a mapping is: which CSV columns feed which LiveDesk field, as the rest of the importer
// sees it. Made by detect.ts (from the header's names) or mapping-file.ts (`--mapping FILE`),
// shown by describe.ts; the per-row work is in normalize.ts and validate.ts.

import { UsageError } from '../errors.js';
import { CONTACT_FIELDS, type ContactField } from '../types.js';

export type FieldSource =
  /** Candidate column indexes, tried in order: the first non-empty value wins. */
  | { kind: 'columns'; columns: number[] }
  /** A name composed from parts (first/middle/last): non-empty parts joined by one space. */
  | { kind: 'join'; columns: number[] };

/** One extra column sent as `custom_attributes[key]` or `additional_attributes[key]`. */
export interface AttributeColumn {
  key: string;
  column: number;
}

/** The two attribute objects a mapping file may fill (never detected: off unless asked for). */
export const ATTRIBUTE_KEYS = ['custom_attributes', 'additional_attributes'] as const;
export type AttributeKey = (typeof ATTRIBUTE_KEYS)[number];

export interface ResolvedMapping {
  fields: Partial<Record<ContactField, FieldSource>>;
  /** Extra columns to send as attributes, in the mapping file's order; absent when none. */
  attributes?: Partial<Record<AttributeKey, AttributeColumn[]>>;
  header: string[];
  /** Header indexes that feed nothing (includes every column whose name starts with `_`). */
  ignored: number[];
  /** True when detected from the header's names, false when read from a mapping file. */
  detected: boolean;
  /** The product export recognised in the header (`HubSpot export`), when one was. */
  preset?: string;
  /**
   * A per-row country column (ISO 3166 alpha-2 code or an English country name): a national phone
   * number in that row is read in that country before `--default-country`. Not sent.
   */
  country?: FieldSource;
  /**
   * When the row has no person name: columns tried in order for one (company, then nickname).
   * Read only when `fields.name` gave nothing.
   */
  nameFallback?: number[];
  /** A column of the product's user roles (Zendesk's `role`): agent and admin rows are counted. Not sent. */
  role?: number;
}

/** A mapping file that cannot be used. The message says what, where, and how to fix it. */
export class MappingError extends UsageError {
  /** The mapping file, and the field (key) at fault when there is one. */
  readonly file: string | undefined;
  readonly field: string | undefined;

  constructor(message: string, context: { file?: string; field?: string } = {}) {
    super(message, { code: 'mapping_error' });
    this.file = context.file;
    this.field = context.field;
  }
}

/** A field's value in a mapping file: a column, columns tried in order, or (name only) a join. */
export type FieldSpec = string | string[] | { join: string[] };
/** A mapping file's object, as mappingToSpec writes it and resolveMappingSpec reads it. */
export type MappingSpec = Partial<Record<ContactField, FieldSpec>> & Partial<Record<AttributeKey, Record<string, string>>> & MappingSpecReads;
/** A mapping file's keys for columns that are read but not sent (ResolvedMapping's nameFallback, country, role). */
export type MappingSpecReads = {
  name_fallback?: string | string[];
  phone_country?: string | string[];
  role?: string;
};

/** The header indexes no field or attribute reads, nor `read` (name fallback, country, role). */
export function ignoredColumns(header: readonly string[], fields: ResolvedMapping['fields'], attributes?: ResolvedMapping['attributes'], read: Iterable<number> = []): number[] {
  const used = new Set<number>(read);
  for (const source of Object.values(fields)) for (const i of source.columns) used.add(i);
  for (const list of Object.values(attributes ?? {})) for (const a of list) used.add(a.column);
  const ignored: number[] = [];
  for (let i = 0; i < header.length; i++) if (!used.has(i)) ignored.push(i);
  return ignored;
}

/** True when at least one LiveDesk field has a column. */
export function hasAnyField(m: ResolvedMapping): boolean {
  return CONTACT_FIELDS.some((f) => (m.fields[f]?.columns.length ?? 0) > 0);
}

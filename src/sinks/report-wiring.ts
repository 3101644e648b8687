// What the pipeline needs to feed the report from the objects it already has: the mapping as the
// report lists it, and which cell of a failed row to highlight. Kept apart from report.ts so the
// page itself knows nothing about mappings, and typed structurally so it does not move with the
// map stage's internals (a ResolvedMapping fits MappingLike as it is).

import type { ReportMappingEntry } from './report.js';

export interface MappingLike {
  header: readonly string[];
  fields: Partial<Record<string, { kind: string; columns: readonly number[] }>>;
  attributes?: Partial<Record<string, ReadonlyArray<{ key: string; column: number }>>>;
  ignored: readonly number[];
  preset?: string;
}

const FIELD_ORDER = ['name', 'email', 'phone_number', 'avatar_url', 'identifier'] as const;

/** The `mapping` and `ignored` of ReportInfo, in the order the terminal prints them. */
export function reportMapping(m: MappingLike): { mapping: ReportMappingEntry[]; ignored: string[] } {
  const name = (i: number): string => m.header[i] ?? `column ${i + 1}`;
  const mapping: ReportMappingEntry[] = [];
  const fields = [...FIELD_ORDER, ...Object.keys(m.fields).filter((f) => !(FIELD_ORDER as readonly string[]).includes(f))];
  for (const field of fields) {
    const src = m.fields[field];
    const columns = (src?.columns ?? []).map(name);
    const how = src?.kind === 'join' ? 'joined' : columns.length > 1 ? 'first valid, in this order' : 'column';
    mapping.push({ field, columns, how });
  }
  for (const [key, list] of Object.entries(m.attributes ?? {})) {
    for (const a of list ?? []) mapping.push({ field: `${key}.${a.key}`, columns: [name(a.column)], how: 'column' });
  }
  return { mapping, ignored: m.ignored.map(name) };
}

/** Which field a failure code is about; the others (no_contact_data, malformed_row, …) are whole-row. */
const FIELD_OF_CODE: Partial<Record<string, string>> = {
  invalid_email: 'email',
  invalid_phone: 'phone_number',
  invalid_avatar_url: 'avatar_url',
};

// LiveDesk's 4xx messages name the attribute ("Email has already been taken", "Phone number should
// be in e164 format"); Chatwoot words them this way.
const FIELD_IN_MESSAGE: ReadonlyArray<[RegExp, string]> = [
  [/\bemail\b/i, 'email'],
  [/\bphone/i, 'phone_number'],
  [/\bidentifier\b/i, 'identifier'],
  [/\bavatar/i, 'avatar_url'],
];

// Mirrors normalize.ts's notion of "nothing visible": whitespace and invisible characters only.
const INVISIBLE = '\\s\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2069\\ufeff';
const BLANKISH = new RegExp(`^[${INVISIBLE}]*$`);
const BLANKISH_ANY = new RegExp(`[${INVISIBLE}]`, 'g');

/**
 * The header index of the cell that made a row fail, or undefined when the failure is about the
 * whole row or the cell cannot be told.
 *
 * A field fails only when none of its candidate columns holds a valid value, and the reason given
 * is the first non-empty candidate's (validate.ts), so that is the cell to highlight. For
 * `duplicate_in_file`, pass the duplicate's `key` as `field` and its `value`: the candidate
 * holding that value is the one that repeats.
 */
export function problemColumn(
  m: Pick<MappingLike, 'fields'>,
  values: readonly string[],
  failure: { code: string; message?: string; field?: string; value?: string },
): number | undefined {
  let field = failure.field ?? FIELD_OF_CODE[failure.code];
  if (field === undefined && (failure.code === 'rejected' || failure.code === 'already_exists') && failure.message !== undefined) {
    field = FIELD_IN_MESSAGE.find(([re]) => re.test(failure.message!))?.[1];
  }
  if (field === undefined) return undefined;
  const src = m.fields[field];
  if (src === undefined) return undefined;
  const filled = src.columns.filter((i) => {
    const v = values[i];
    return v !== undefined && !BLANKISH.test(v);
  });
  if (filled.length === 0) return undefined;
  if (failure.value !== undefined && filled.length > 1) {
    const want = comparable(field, failure.value);
    const hit = filled.find((i) => comparable(field, values[i]!) === want);
    if (hit !== undefined) return hit;
  }
  return filled[0];
}

/** Enough normalization to recognise a cell's value after the map stage has cleaned it. */
function comparable(field: string, v: string): string {
  if (field === 'phone_number') return v.replace(/\D/g, '').slice(-8);
  return v.replace(BLANKISH_ANY, '').toLowerCase();
}

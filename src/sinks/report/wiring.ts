// What the pipeline needs to feed the report from the objects it already has: the mapping as the
// report lists it, and which cell of a failed row to highlight. Kept apart from collect.ts and
// render.ts so the page itself knows nothing about mappings, and typed structurally so it does not
// move with the map stage's internals (a ResolvedMapping fits MappingLike as it is).

import { cleanText, isBlank, normalizeEmail, normalizePhone } from '../../map/normalize.js';
import type { ReportMappingEntry } from './collect.js';

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

/**
 * The header index of the cell that made a row fail, or undefined when the failure is about the
 * whole row or the cell cannot be told.
 *
 * A field fails only when none of its candidate columns holds a valid value, and the reason given
 * is the first non-empty candidate's (validate.ts), so that is the cell to highlight. A failure
 * that names its field (an in-file duplicate's key, or the attribute LiveDesk named in a 4xx)
 * passes it as `field`, with the `value` when known: the candidate holding that value is the one.
 */
export function problemColumn(
  m: Pick<MappingLike, 'fields'>,
  values: readonly string[],
  failure: { code: string; field?: string; value?: string },
): number | undefined {
  const field = failure.field ?? FIELD_OF_CODE[failure.code];
  if (field === undefined) return undefined;
  const src = m.fields[field];
  if (src === undefined) return undefined;
  const filled = src.columns.filter((i) => {
    const v = values[i];
    return v !== undefined && !isBlank(v);
  });
  if (filled.length === 0) return undefined;
  if (failure.value !== undefined && filled.length > 1) {
    const want = comparable(field, failure.value);
    const hit = filled.find((i) => comparable(field, values[i]!) === want);
    if (hit !== undefined) return hit;
  }
  return filled[0];
}

/**
 * Enough of the map stage's normalization to recognise a cell from the value it became. A phone
 * compares by its last 8 digits: the stage may have added a country code the cell does not show.
 */
function comparable(field: string, v: string): string {
  if (field === 'phone_number') return normalizePhone(v).replace(/\D/g, '').slice(-8);
  if (field === 'email') return normalizeEmail(v);
  return cleanText(v).toLowerCase();
}

// Describing a mapping for people: the lines printed before a run, and the mapping as a mapping
// file (`livedesk-import mapping FILE`) that can be edited and passed back with `--mapping`.

import { CONTACT_FIELDS } from '../types.js';
import { ATTRIBUTE_KEYS, type MappingSpec, type ResolvedMapping } from './mapping.js';

function columnLabel(header: readonly string[], index: number): string {
  const name = header[index];
  return name === undefined || name.trim() === '' ? `(column ${index + 1}, no name)` : JSON.stringify(name);
}

/** Where the mapping came from, for the line above it: `detected from the header (HubSpot export)`. */
export function describeOrigin(m: ResolvedMapping, mappingFile?: string): string {
  if (!m.detected) return mappingFile === undefined ? 'from the mapping file' : `from ${mappingFile}`;
  return m.preset === undefined ? 'detected from the header' : `detected from the header (${m.preset})`;
}

/** Under a field's line, for what is read with it: `                  then "Company", "Nickname" …`. */
const MORE = ' '.repeat(18);

/**
 * Lines for the terminal, one per LiveDesk field, then the attributes (when a mapping file sends
 * some), then the ignored columns: `  name          ← "First Name" + "Last Name"`,
 * `  email         ← "E-mail" (or "Email 2")`, `  avatar_url    ← (no column)`,
 * `  additional_attributes.city ← "City"`, `  ignored: "Notes", "_row"`. Columns read but not
 * sent follow the field they serve: the name of a row without one, the phone's country, the role.
 */
export function describeMapping(m: ResolvedMapping): string[] {
  const lines: string[] = [];
  for (const field of CONTACT_FIELDS) {
    const source = m.fields[field];
    const label = `  ${field.padEnd(14)}← `;
    if (source === undefined || source.columns.length === 0) {
      lines.push(`${label}(no column)`);
    } else {
      const cols = source.columns.map((i) => columnLabel(m.header, i));
      if (source.kind === 'join') lines.push(label + cols.join(' + '));
      else lines.push(label + cols[0] + (cols.length > 1 ? ` (or ${cols.slice(1).join(', ')})` : ''));
    }
    if (field === 'name' && m.nameFallback !== undefined && m.nameFallback.length > 0) {
      lines.push(`${MORE}without a person name: ${m.nameFallback.map((i) => columnLabel(m.header, i)).join(', then ')}`);
    }
    if (field === 'phone_number' && m.country !== undefined && m.country.columns.length > 0) {
      const [first, ...rest] = m.country.columns.map((i) => columnLabel(m.header, i));
      lines.push(`${MORE}national numbers read in the country of ${first}${rest.length > 0 ? ` (or ${rest.join(', ')})` : ''}, before --default-country`);
    }
  }
  if (m.role !== undefined) lines.push(`  ${'role'.padEnd(14)}← ${columnLabel(m.header, m.role)} (not sent: agent and admin rows are counted in the summary)`);
  for (const key of ATTRIBUTE_KEYS) {
    for (const a of m.attributes?.[key] ?? []) lines.push(`  ${key}.${a.key} ← ${columnLabel(m.header, a.column)}`);
  }
  lines.push(
    `  ignored: ${m.ignored.length === 0 ? '(none)' : m.ignored.map((i) => columnLabel(m.header, i)).join(', ')}`,
  );
  return lines;
}

/**
 * The mapping as a mapping file's JSON object: save it, edit it, pass it back with `--mapping`,
 * and resolveMappingSpec gives the same fields and attributes back.
 */
export function mappingToSpec(m: ResolvedMapping): MappingSpec {
  const spec: MappingSpec = {};
  const names = (columns: readonly number[]): string[] => columns.map((i) => m.header[i] ?? '');
  for (const field of CONTACT_FIELDS) {
    const source = m.fields[field];
    if (source !== undefined && source.columns.length > 0) {
      if (source.kind === 'join') spec[field] = { join: names(source.columns) };
      else spec[field] = oneOrList(names(source.columns));
    }
    // What is read with a field follows it, even when the field has no column of its own.
    if (field === 'name' && m.nameFallback !== undefined && m.nameFallback.length > 0) spec.name_fallback = names(m.nameFallback);
    if (field === 'phone_number' && m.country !== undefined && m.country.columns.length > 0) spec.phone_country = oneOrList(names(m.country.columns));
  }
  if (m.role !== undefined) spec.role = m.header[m.role] ?? '';
  for (const key of ATTRIBUTE_KEYS) {
    const list = m.attributes?.[key];
    if (list === undefined || list.length === 0) continue;
    const out: Record<string, string> = {};
    for (const a of list) out[a.key] = m.header[a.column] ?? '';
    spec[key] = out;
  }
  return spec;
}

function oneOrList(names: string[]): string | string[] {
  return names.length === 1 ? names[0]! : names;
}

/**
 * What `livedesk-import mapping FILE` prints on stdout: the mapping as a mapping file (2-space
 * JSON, no trailing newline), with explanations and the ignored columns under "_" keys, which
 * resolveMappingSpec skips. Saved and passed back with `--mapping`, it maps exactly the same way.
 */
export function mappingReport(m: ResolvedMapping): string {
  const report: Record<string, unknown> = {
    _comment: [
      `Mapping ${describeOrigin(m)}. Edit it, save it, and pass it back with --mapping FILE.`,
      'Each field takes a column name, a list of column names tried in order (the first valid value wins), or, for "name" only, {"join": ["First Name", "Last Name"]}.',
      'Remove a field to leave it out. Keys starting with "_" are comments and are ignored.',
      'Read but not sent: "name_fallback" (columns giving the name of a row without a person name, such as ["Company", "Nickname"]), "phone_country" (the country, ISO code or English name, a national phone number is read in before --default-country) and "role" (Zendesk\'s user role: agent and admin rows are counted in the summary).',
      'To also send ignored columns: "custom_attributes": {"plan": "Plan"} and "additional_attributes": {"company_name": "Company", "city": "City", "country": "Country"} (LiveDesk documents these only for updates: try one row first).',
    ],
    ...mappingToSpec(m),
    _ignored_columns: m.ignored.map((i) => m.header[i] ?? ''),
  };
  return JSON.stringify(report, null, 2);
}

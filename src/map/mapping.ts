// Which CSV columns feed which LiveDesk field: detected from the header's names (a product's
// export first, see presets.ts, then generic aliases), or read from a mapping file
// (`--mapping FILE`). Everything here works on the header only, once per run; the per-row work is
// in normalize.ts and validate.ts.

import { readFileSync } from 'node:fs';
import { CONTACT_FIELDS, type ContactField } from '../types.js';
import { locateJsonError } from './json-error.js';
import { isReserved, normalizeHeaderName } from './names.js';
import { findPreset, type Matcher } from './presets.js';

export { normalizeHeaderName };

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
}

/** A mapping file that cannot be used. The message says what, where, and how to fix it. */
export class MappingError extends Error {
  readonly code = 'mapping_error';
  override readonly name = 'MappingError';
  /** The mapping file, and the field (key) at fault when there is one. */
  readonly file: string | undefined;
  readonly field: string | undefined;

  constructor(message: string, context: { file?: string; field?: string } = {}) {
    super(message);
    this.file = context.file;
    this.field = context.field;
  }
}

// ---------------------------------------------------------------------------------------------
// Detection
// ---------------------------------------------------------------------------------------------

// The generic aliases: what any spreadsheet's columns are likely called. A matcher ranks a
// normalized header name (lower is better, undefined is no match); alias lists are in order of
// preference.

const ranked =
  (aliases: readonly string[]): Matcher =>
  (n) => {
    const i = aliases.indexOf(n);
    return i === -1 ? undefined : i;
  };

/** Full-name columns (Google's `Name`, Salesforce's `Full Name`, …). */
const FULL_NAME = ranked([
  'name',
  'fullname',
  'contactname',
  'displayname',
  'customername',
  'clientname',
  'firstandlastname',
]);
const FIRST_NAME = ranked(['firstname', 'givenname', 'first', 'forename', 'fname', 'givennames', 'vorname', 'prenom']);
const MIDDLE_NAME = ranked(['middlename', 'additionalname', 'middle', 'middlenames', 'middleinitial']);
const LAST_NAME = ranked([
  'lastname',
  'familyname',
  'surname',
  'last',
  'lname',
  'surnames',
  'nachname',
  'nomdefamille',
  'apellido',
  'apellidos',
]);

const EMAIL_NAMES = new Set([
  'email',
  'emailaddress',
  'emailaddr',
  'emailid',
  'mail',
  'mailaddress',
  'primaryemail',
  'primaryemailaddress',
  'workemail',
  'workemailaddress',
  'businessemail',
  'personalemail',
  'homeemail',
  'otheremail',
  'contactemail',
  'courriel',
  'correo',
  'correoelectronico',
  'emailadresse',
]);
/** Numbered email columns: `E-mail 1 - Value` (Google), `E-mail 2 Address` (Outlook), `Email Address 2`, `Email 2`. */
const EMAIL_NUMBERED = /^e?mail\d+(?:address|value)?$|^emailaddress\d+$/;
/** Every email column, in header order (the first non-empty value wins). */
const EMAIL: Matcher = (n) => (EMAIL_NAMES.has(n) || EMAIL_NUMBERED.test(n) ? 0 : undefined);

/**
 * Phone columns, mobile-ish first (a support desk reaches people on their mobile, and WhatsApp
 * needs one), then generic/primary, then work, then home and other. Within a rank, header order.
 * `Phone 1 - Type` (Google) and fax, pager, assistant and car phones do not match.
 */
const PHONE_RANKS: readonly RegExp[] = [
  /^(?:mobile|cell|cellular|whatsapp|handy|movil)(?:phone|telephone)?(?:number|no)?\d*$/,
  /^(?:primary|main|contact)?(?:phone|telephone|tel|telefon|telefono)(?:number|no)?\d*(?:value)?$|^contactnumber$/,
  /^(?:work|business|office)(?:phone|telephone|tel)(?:number|no)?\d*$/,
  /^(?:home|other|personal|private)(?:phone|telephone|tel)(?:number|no)?\d*$/,
];
const PHONE: Matcher = (n) => {
  const i = PHONE_RANKS.findIndex((re) => re.test(n));
  return i === -1 ? undefined : i;
};

const AVATAR = ranked([
  'avatarurl',
  'avatar',
  'avatarlink',
  'photourl',
  'photo',
  'photolink',
  'pictureurl',
  'picture',
  'profilepicture',
  'profilepictureurl',
  'profilephoto',
  'profilephotourl',
  'profileimage',
  'profileimageurl',
  'profilepic',
  'imageurl',
  'image',
]);

/** Explicit external IDs before a bare `ID`. */
const IDENTIFIER = ranked([
  'identifier',
  'externalid',
  'externalidentifier',
  'contactid',
  'customerid',
  'userid',
  'recordid',
  'crmid',
  'clientid',
  'memberid',
  'id',
  'uid',
]);

interface Candidate {
  index: number;
  rank: number;
}

/**
 * The usable columns a matcher accepts, best rank first, then header order. Reserved (`_`) and
 * already-used columns are skipped; among columns whose names are the same once normalized, only
 * the first is considered.
 */
function candidates(names: readonly string[], firstOfName: ReadonlySet<number>, used: ReadonlySet<number>, match: Matcher): Candidate[] {
  const found: Candidate[] = [];
  names.forEach((n, index) => {
    if (!firstOfName.has(index) || used.has(index)) return;
    const rank = match(n);
    if (rank !== undefined) found.push({ index, rank });
  });
  return found.sort((a, b) => a.rank - b.rank || a.index - b.index);
}

/**
 * Maps a header by its column names. Never throws; a header that matches nothing maps nothing.
 * A recognised product export (presets.ts) decides first, for the fields it has columns for; the
 * generic aliases fill the rest, and add further candidates for email and phone after the
 * preset's. A preset's `never` columns are kept out of both.
 */
export function detectMapping(header: string[]): ResolvedMapping {
  const names = header.map((h) => (isReserved(h) ? '' : normalizeHeaderName(h)));
  // Only the first column of each normalized name may be mapped; reserved and nameless never.
  const firstOfName = new Set<number>();
  const seen = new Set<string>();
  names.forEach((n, i) => {
    if (n === '' || seen.has(n)) return;
    seen.add(n);
    firstOfName.add(i);
  });
  const preset = findPreset(seen, header.filter((h) => !isReserved(h)));

  const used = new Set<number>();
  const never = preset?.never;
  if (never !== undefined) names.forEach((n, i) => n !== '' && never(n) !== undefined && used.add(i));

  const fields: ResolvedMapping['fields'] = {};
  const best = (match: Matcher | undefined): number | undefined => {
    if (match === undefined) return undefined;
    const c = candidates(names, firstOfName, used, match)[0];
    if (c !== undefined) used.add(c.index);
    return c?.index;
  };
  const all = (match: Matcher | undefined): number[] => {
    if (match === undefined) return [];
    const cs = candidates(names, firstOfName, used, match).map((c) => c.index);
    for (const i of cs) used.add(i);
    return cs;
  };
  const joinOf = (first: Matcher | undefined, middle: Matcher | undefined, last: Matcher | undefined): number[] =>
    [best(first), best(middle), best(last)].filter((i) => i !== undefined);

  const fullName = best(preset?.fullName) ?? best(FULL_NAME);
  if (fullName !== undefined) {
    fields.name = { kind: 'columns', columns: [fullName] };
  } else {
    let parts = joinOf(preset?.first, preset?.middle, preset?.last);
    if (parts.length === 0) parts = joinOf(FIRST_NAME, MIDDLE_NAME, LAST_NAME);
    if (parts.length > 0) fields.name = { kind: 'join', columns: parts };
  }
  const emails = [...all(preset?.email), ...all(EMAIL)];
  if (emails.length > 0) fields.email = { kind: 'columns', columns: emails };
  const phones = [...all(preset?.phone), ...all(PHONE)];
  if (phones.length > 0) fields.phone_number = { kind: 'columns', columns: phones };
  const avatars = [...all(preset?.avatar), ...all(AVATAR)];
  if (avatars.length > 0) fields.avatar_url = { kind: 'columns', columns: avatars };
  // One identifier column only: mixing two ID schemes across rows would defeat rerun protection.
  const identifier = best(preset?.identifier) ?? best(IDENTIFIER);
  if (identifier !== undefined) fields.identifier = { kind: 'columns', columns: [identifier] };

  const m: ResolvedMapping = { fields, header, ignored: ignoredColumns(header, fields), detected: true };
  if (preset !== undefined) m.preset = preset.name;
  return m;
}

function ignoredColumns(header: readonly string[], fields: ResolvedMapping['fields'], attributes?: ResolvedMapping['attributes']): number[] {
  const used = new Set<number>();
  for (const source of Object.values(fields)) for (const i of source.columns) used.add(i);
  for (const list of Object.values(attributes ?? {})) for (const a of list) used.add(a.column);
  const ignored: number[] = [];
  for (let i = 0; i < header.length; i++) if (!used.has(i)) ignored.push(i);
  return ignored;
}

// ---------------------------------------------------------------------------------------------
// Mapping files
// ---------------------------------------------------------------------------------------------

const FIELD_LIST = CONTACT_FIELDS.join(', ');
const SPEC_EXAMPLE = '{"name": {"join": ["First Name", "Last Name"]}, "email": ["E-mail", "Email 2"], "phone_number": "Mobile"}';

function isContactField(key: string): key is ContactField {
  return (CONTACT_FIELDS as readonly string[]).includes(key);
}

/** A value as JSON, cut short when long, for messages. */
function showValue(value: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > 80 ? s.slice(0, 77) + '...' : s;
}

function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'text';
  return `a ${typeof value}`;
}

/** The header's columns, quoted, for "column not found" messages (long headers are cut short). */
function listColumns(header: readonly string[]): string {
  const shown = header.filter((h) => !isReserved(h) && h.trim() !== '');
  const MAX = 40;
  const list = shown.slice(0, MAX).map((h) => JSON.stringify(h)).join(', ');
  return shown.length > MAX ? `${list} and ${shown.length - MAX} more` : list;
}

/** Keys people write for LiveDesk's `additional_attributes` (Chatwoot's contact sidebar shows these). */
const ADDITIONAL_HINTS = new Map<string, string>([
  ['company', 'company_name'],
  ['companyname', 'company_name'],
  ['organization', 'company_name'],
  ['city', 'city'],
  ['country', 'country'],
]);

/** The field a misspelt mapping key most likely means (`phone` → `phone_number`). */
function suggestField(key: string): string | undefined {
  const n = normalizeHeaderName(key);
  for (const a of ATTRIBUTE_KEYS) if (normalizeHeaderName(a) === n) return a;
  for (const field of CONTACT_FIELDS) if (normalizeHeaderName(field) === n) return field;
  if (FULL_NAME(n) !== undefined || FIRST_NAME(n) !== undefined || LAST_NAME(n) !== undefined) return 'name';
  if (EMAIL(n) !== undefined) return 'email';
  if (PHONE(n) !== undefined) return 'phone_number';
  if (AVATAR(n) !== undefined) return 'avatar_url';
  if (IDENTIFIER(n) !== undefined) return 'identifier';
  return undefined;
}

/**
 * Validates a parsed mapping file against the header. `source` (the file's path) is only used
 * in messages. Throws MappingError naming the file, the key and the bad value.
 */
export function resolveMappingSpec(spec: unknown, header: string[], source: string): ResolvedMapping {
  const where = `mapping file ${JSON.stringify(source)}`;
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new MappingError(
      `${where} must contain a JSON object whose keys are LiveDesk fields, such as ${SPEC_EXAMPLE}; it contains ${jsonKind(spec)}`,
      { file: source },
    );
  }
  const entries = Object.entries(spec as Record<string, unknown>);

  // Exact header names first, then normalized ones; reserved columns only by their exact name.
  const exact = new Map<string, number>();
  const loose = new Map<string, number>();
  header.forEach((h, i) => {
    if (!exact.has(h)) exact.set(h, i);
    if (isReserved(h)) return;
    const n = normalizeHeaderName(h);
    if (n !== '' && !loose.has(n)) loose.set(n, i);
  });

  const fields: ResolvedMapping['fields'] = {};
  let attributes: ResolvedMapping['attributes'];
  for (const [key, value] of entries) {
    // mappingReport writes its explanations under "_" keys; they are comments.
    if (key.startsWith('_')) continue;
    if (key === 'custom_attributes' || key === 'additional_attributes') {
      const list = resolveAttributes(key, value, where, source, columnResolver(where, key, source, header, exact, loose));
      if (list.length > 0) (attributes ??= {})[key] = list;
      continue;
    }
    if (!isContactField(key)) {
      const hint = suggestField(key);
      const attribute = ADDITIONAL_HINTS.get(normalizeHeaderName(key));
      throw new MappingError(
        `${where}: unknown field ${JSON.stringify(key)}` +
          (hint ? ` (did you mean ${JSON.stringify(hint)}?)` : '') +
          (attribute
            ? ` (to send it to LiveDesk, put it under "additional_attributes": {"additional_attributes": {${JSON.stringify(attribute)}: "Your Column"}})`
            : '') +
          `; the fields are ${FIELD_LIST}, plus ${ATTRIBUTE_KEYS.join(' and ')} for extra columns`,
        { file: source, field: key },
      );
    }
    const at = `${where}: ${JSON.stringify(key)}`;
    const fail = (message: string): never => {
      throw new MappingError(`${at}: ${message}`, { file: source, field: key });
    };

    const column = columnResolver(where, key, source, header, exact, loose);
    const columnList = (list: unknown[], what: string): number[] => {
      if (list.length === 0) fail(`${what} is empty; give at least one column name`);
      const indexes: number[] = [];
      for (const name of list) {
        const i = column(name);
        if (!indexes.includes(i)) indexes.push(i);
      }
      return indexes;
    };

    if (typeof value === 'string') {
      fields[key] = { kind: 'columns', columns: [column(value)] };
    } else if (Array.isArray(value)) {
      fields[key] = { kind: 'columns', columns: columnList(value, 'the list of columns') };
    } else if (value !== null && typeof value === 'object' && 'join' in value) {
      if (key !== 'name') {
        fail(
          `${showValue(value)}: "join" is only for "name" (composing first and last names); ` +
            'to try several columns in order, give a list such as ["E-mail", "Email 2"]',
        );
      }
      const extra = Object.keys(value).filter((k) => k !== 'join');
      if (extra.length > 0) fail(`${showValue(value)}: only "join" is allowed in this object, not ${showValue(extra[0])}`);
      const parts = (value as { join: unknown }).join;
      if (!Array.isArray(parts)) {
        fail(`"join" must be a list of column names, such as {"join": ["First Name", "Last Name"]}; got ${showValue(parts)}`);
      }
      fields[key] = { kind: 'join', columns: columnList(parts as unknown[], '"join"') };
    } else {
      fail(
        `${showValue(value)} is ${jsonKind(value)}; give a column name ("E-mail"), a list of column names tried in order ` +
          `(["E-mail", "Email 2"])${key === 'name' ? ', or {"join": ["First Name", "Last Name"]}' : ''}`,
      );
    }
  }

  if (Object.keys(fields).length === 0) {
    throw new MappingError(
      `${where} maps no fields; add at least one of ${FIELD_LIST}, such as ${SPEC_EXAMPLE}`,
      { file: source },
    );
  }
  const m: ResolvedMapping = { fields, header, ignored: ignoredColumns(header, fields, attributes), detected: false };
  if (attributes !== undefined) m.attributes = attributes;
  return m;
}

/**
 * Resolves one column name of a mapping file to its header index, or throws a MappingError that
 * names the file and key and lists the header. Exact names win over loose (normalized) ones.
 */
function columnResolver(
  where: string,
  key: string,
  source: string,
  header: readonly string[],
  exact: ReadonlyMap<string, number>,
  loose: ReadonlyMap<string, number>,
): (name: unknown) => number {
  const fail = (message: string): never => {
    throw new MappingError(`${where}: ${JSON.stringify(key)}: ${message}`, { file: source, field: key });
  };
  return (name) => {
    if (typeof name !== 'string') {
      return fail(`column names must be text in double quotes, but ${showValue(name)} is ${jsonKind(name)}`);
    }
    if (name.trim() === '') return fail('a column name is empty');
    const index = exact.get(name) ?? loose.get(normalizeHeaderName(name));
    if (index === undefined) {
      if (isReserved(name)) {
        return fail(
          `column ${JSON.stringify(name)} is not in the CSV header (and columns starting with "_" can never be mapped). ` +
            `The header's columns are: ${listColumns(header)}`,
        );
      }
      return fail(
        `column ${JSON.stringify(name)} is not in the CSV header. The header's columns are: ${listColumns(header)}. ` +
          'Fix the name in the mapping file (case, spaces and punctuation do not matter)',
      );
    }
    if (isReserved(header[index]!)) {
      return fail(
        `column ${JSON.stringify(name)} starts with "_"; such columns are the importer's own ` +
          '(a failures file adds _row, _error and _message) and can never be mapped. Map a column without a leading "_"',
      );
    }
    return index;
  };
}

/**
 * `{"plan": "Plan", "company_name": "Company"}`: attribute name → the column whose value to send.
 * Off unless a mapping file asks, since LiveDesk documents these objects only on update (Chatwoot,
 * underneath, accepts them on create too).
 */
function resolveAttributes(
  key: AttributeKey,
  value: unknown,
  where: string,
  source: string,
  column: (name: unknown) => number,
): AttributeColumn[] {
  const example =
    key === 'additional_attributes'
      ? '{"company_name": "Company", "city": "City", "country": "Country"}'
      : '{"plan": "Plan", "signup_date": "Created"}';
  const fail = (message: string): never => {
    throw new MappingError(`${where}: ${JSON.stringify(key)}: ${message}`, { file: source, field: key });
  };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return fail(`${showValue(value)} is ${jsonKind(value)}; give an object of attribute names and columns, such as ${example}`);
  }
  const list: AttributeColumn[] = [];
  for (const [name, col] of Object.entries(value as Record<string, unknown>)) {
    if (name.trim() === '') fail(`an attribute name is empty; write them like ${example}`);
    if (typeof col !== 'string') {
      fail(`${JSON.stringify(name)}: give the one column whose value to send, such as ${example}; ${showValue(col)} is ${jsonKind(col)}`);
    }
    list.push({ key: name.trim(), column: column(col) });
  }
  return list;
}


/**
 * Reads a mapping file (JSON) and resolves it against the header. Throws MappingError when the
 * file cannot be read, is not JSON (the message gives line and column), or does not fit the header.
 */
export function loadMappingFile(path: string, header: string[]): ResolvedMapping {
  const where = `mapping file ${JSON.stringify(path)}`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EISDIR'
          ? 'is a folder, not a file'
          : code === 'EACCES' || code === 'EPERM'
            ? 'cannot be read (permission denied)'
            : `cannot be read (${(e as Error).message})`;
    throw new MappingError(`${where} ${why}`, { file: path });
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') {
    throw new MappingError(`${where} is empty; it should contain a JSON object such as ${SPEC_EXAMPLE}`, { file: path });
  }
  let spec: unknown;
  try {
    spec = JSON.parse(text);
  } catch (e) {
    const loc = locateJsonError(text);
    const detail = loc
      ? `at line ${loc.line}, column ${loc.column}: ${loc.reason}`
      : (e as Error).message;
    throw new MappingError(`${where} is not valid JSON ${detail}`, { file: path });
  }
  return resolveMappingSpec(spec, header, path);
}

// ---------------------------------------------------------------------------------------------
// Showing and saving a mapping
// ---------------------------------------------------------------------------------------------

function columnLabel(header: readonly string[], index: number): string {
  const name = header[index];
  return name === undefined || name.trim() === '' ? `(column ${index + 1}, no name)` : JSON.stringify(name);
}

/** Where the mapping came from, for the line above it: `detected from the header (HubSpot export)`. */
export function describeOrigin(m: ResolvedMapping, mappingFile?: string): string {
  if (!m.detected) return mappingFile === undefined ? 'from the mapping file' : `from ${mappingFile}`;
  return m.preset === undefined ? 'detected from the header' : `detected from the header (${m.preset})`;
}

/**
 * Lines for the terminal, one per LiveDesk field, then the attributes (when a mapping file sends
 * some), then the ignored columns: `  name          ← "First Name" + "Last Name"`,
 * `  email         ← "E-mail" (or "Email 2")`, `  avatar_url    ← (no column)`,
 * `  additional_attributes.city ← "City"`, `  ignored: "Notes", "_row"`.
 */
export function describeMapping(m: ResolvedMapping): string[] {
  const lines: string[] = [];
  for (const field of CONTACT_FIELDS) {
    const source = m.fields[field];
    const label = `  ${field.padEnd(14)}← `;
    if (source === undefined || source.columns.length === 0) {
      lines.push(`${label}(no column)`);
      continue;
    }
    const cols = source.columns.map((i) => columnLabel(m.header, i));
    if (source.kind === 'join') lines.push(label + cols.join(' + '));
    else lines.push(label + cols[0] + (cols.length > 1 ? ` (or ${cols.slice(1).join(', ')})` : ''));
  }
  for (const key of ATTRIBUTE_KEYS) {
    for (const a of m.attributes?.[key] ?? []) lines.push(`  ${key}.${a.key} ← ${columnLabel(m.header, a.column)}`);
  }
  lines.push(
    `  ignored: ${m.ignored.length === 0 ? '(none)' : m.ignored.map((i) => columnLabel(m.header, i)).join(', ')}`,
  );
  return lines;
}

/** A field's value in a mapping file: a column, columns tried in order, or (name only) a join. */
export type FieldSpec = string | string[] | { join: string[] };
/** A mapping file's object, as mappingToSpec writes it and resolveMappingSpec reads it. */
export type MappingSpec = Partial<Record<ContactField, FieldSpec>> & Partial<Record<AttributeKey, Record<string, string>>>;

/**
 * The mapping as a mapping file's JSON object: save it, edit it, pass it back with `--mapping`,
 * and resolveMappingSpec gives the same fields and attributes back.
 */
export function mappingToSpec(m: ResolvedMapping): MappingSpec {
  const spec: MappingSpec = {};
  for (const field of CONTACT_FIELDS) {
    const source = m.fields[field];
    if (source === undefined || source.columns.length === 0) continue;
    const names = source.columns.map((i) => m.header[i] ?? '');
    if (source.kind === 'join') spec[field] = { join: names };
    else spec[field] = names.length === 1 ? names[0]! : names;
  }
  for (const key of ATTRIBUTE_KEYS) {
    const list = m.attributes?.[key];
    if (list === undefined || list.length === 0) continue;
    const out: Record<string, string> = {};
    for (const a of list) out[a.key] = m.header[a.column] ?? '';
    spec[key] = out;
  }
  return spec;
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
      'To also send ignored columns: "custom_attributes": {"plan": "Plan"} and "additional_attributes": {"company_name": "Company", "city": "City", "country": "Country"} (LiveDesk documents these only for updates: try one row first).',
    ],
    ...mappingToSpec(m),
    _ignored_columns: m.ignored.map((i) => m.header[i] ?? ''),
  };
  return JSON.stringify(report, null, 2);
}

/** True when at least one LiveDesk field has a column. */
export function hasAnyField(m: ResolvedMapping): boolean {
  return CONTACT_FIELDS.some((f) => (m.fields[f]?.columns.length ?? 0) > 0);
}

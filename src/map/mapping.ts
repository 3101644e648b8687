// Which CSV columns feed which LiveDesk field: detected from the header's names, or read from a
// mapping file (`--mapping FILE`). Everything here works on the header only, once per run; the
// per-row work is in normalize.ts and validate.ts.

import { readFileSync } from 'node:fs';
import { CONTACT_FIELDS, type ContactField } from '../types.js';
import { locateJsonError } from './json-error.js';

export type FieldSource =
  /** Candidate column indexes, tried in order: the first non-empty value wins. */
  | { kind: 'columns'; columns: number[] }
  /** A name composed from parts (first/middle/last): non-empty parts joined by one space. */
  | { kind: 'join'; columns: number[] };

export interface ResolvedMapping {
  fields: Partial<Record<ContactField, FieldSource>>;
  header: string[];
  /** Header indexes that feed nothing (includes every column whose name starts with `_`). */
  ignored: number[];
  /** True when detected from the header's names, false when read from a mapping file. */
  detected: boolean;
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

/**
 * A header name reduced for matching: lower-case, accents stripped (NFKD), everything but
 * [a-z0-9] dropped. `E-mail 1 - Value` → `email1value`, `Prénom` → `prenom`.
 */
export function normalizeHeaderName(name: string): string {
  return name.normalize('NFKD').toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Columns whose name starts with `_` belong to the importer (a failures file's `_row`, `_error`, `_message`). */
function isReserved(name: string): boolean {
  return name.trim().startsWith('_');
}

// ---------------------------------------------------------------------------------------------
// Detection
// ---------------------------------------------------------------------------------------------

/**
 * A matcher ranks a normalized header name: a lower rank is a better match; undefined is none.
 * Alias lists are in order of preference.
 */
type Matcher = (n: string) => number | undefined;

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
function candidates(names: readonly string[], firstOfName: ReadonlySet<number>, used: Set<number>, match: Matcher): Candidate[] {
  const found: Candidate[] = [];
  names.forEach((n, index) => {
    if (!firstOfName.has(index) || used.has(index)) return;
    const rank = match(n);
    if (rank !== undefined) found.push({ index, rank });
  });
  return found.sort((a, b) => a.rank - b.rank || a.index - b.index);
}

/** Maps a header by its column names. Never throws; a header that matches nothing maps nothing. */
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

  const used = new Set<number>();
  const fields: ResolvedMapping['fields'] = {};
  const best = (match: Matcher): number | undefined => {
    const c = candidates(names, firstOfName, used, match)[0];
    if (c !== undefined) used.add(c.index);
    return c?.index;
  };
  const all = (match: Matcher): number[] => {
    const cs = candidates(names, firstOfName, used, match).map((c) => c.index);
    for (const i of cs) used.add(i);
    return cs;
  };

  const fullName = best(FULL_NAME);
  if (fullName !== undefined) {
    fields.name = { kind: 'columns', columns: [fullName] };
  } else {
    const parts = [best(FIRST_NAME), best(MIDDLE_NAME), best(LAST_NAME)].filter((i) => i !== undefined);
    if (parts.length > 0) fields.name = { kind: 'join', columns: parts };
  }
  const emails = all(EMAIL);
  if (emails.length > 0) fields.email = { kind: 'columns', columns: emails };
  const phones = all(PHONE);
  if (phones.length > 0) fields.phone_number = { kind: 'columns', columns: phones };
  const avatar = best(AVATAR);
  if (avatar !== undefined) fields.avatar_url = { kind: 'columns', columns: [avatar] };
  const identifier = best(IDENTIFIER);
  if (identifier !== undefined) fields.identifier = { kind: 'columns', columns: [identifier] };

  return { fields, header, ignored: ignoredColumns(header, fields), detected: true };
}

function ignoredColumns(header: readonly string[], fields: ResolvedMapping['fields']): number[] {
  const used = new Set<number>();
  for (const source of Object.values(fields)) for (const i of source.columns) used.add(i);
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

/** The field a misspelt mapping key most likely means (`phone` → `phone_number`). */
function suggestField(key: string): ContactField | undefined {
  const n = normalizeHeaderName(key);
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
  if (entries.length === 0) {
    throw new MappingError(
      `${where} maps no fields; add at least one of ${FIELD_LIST}, such as ${SPEC_EXAMPLE}`,
      { file: source },
    );
  }

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
  for (const [key, value] of entries) {
    if (!isContactField(key)) {
      const hint = suggestField(key);
      throw new MappingError(
        `${where}: unknown field ${JSON.stringify(key)}${hint ? ` (did you mean ${JSON.stringify(hint)}?)` : ''}; ` +
          `the fields are ${FIELD_LIST}`,
        { file: source, field: key },
      );
    }
    const at = `${where}: ${JSON.stringify(key)}`;
    const fail = (message: string): never => {
      throw new MappingError(`${at}: ${message}`, { file: source, field: key });
    };

    const column = (name: unknown): number => {
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

  return { fields, header, ignored: ignoredColumns(header, fields), detected: false };
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

/**
 * Lines for the terminal, one per LiveDesk field, then the ignored columns:
 * `  name          ← "First Name" + "Last Name"`, `  email         ← "E-mail" (or "Email 2")`,
 * `  avatar_url    ← (no column)`, `  ignored: "Notes", "_row"`.
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
  lines.push(
    `  ignored: ${m.ignored.length === 0 ? '(none)' : m.ignored.map((i) => columnLabel(m.header, i)).join(', ')}`,
  );
  return lines;
}

/** The mapping as a mapping file's JSON object: save it, edit it, pass it back with `--mapping`. */
export function mappingToSpec(m: ResolvedMapping): Record<string, string | string[] | { join: string[] }> {
  const spec: Record<string, string | string[] | { join: string[] }> = {};
  for (const field of CONTACT_FIELDS) {
    const source = m.fields[field];
    if (source === undefined || source.columns.length === 0) continue;
    const names = source.columns.map((i) => m.header[i] ?? '');
    if (source.kind === 'join') spec[field] = { join: names };
    else spec[field] = names.length === 1 ? names[0]! : names;
  }
  return spec;
}

/** True when at least one LiveDesk field has a column. */
export function hasAnyField(m: ResolvedMapping): boolean {
  return CONTACT_FIELDS.some((f) => (m.fields[f]?.columns.length ?? 0) > 0);
}

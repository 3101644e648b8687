// Mapping files (`--mapping FILE`): reading the JSON, and checking it against the header. Every
// mistake becomes a MappingError that names the file, the key and the bad value, and says how to
// fix it.

import { readFileSync } from 'node:fs';
import { jsonErrorOffset } from '../security/parse-errors.js';
import { CONTACT_FIELDS, type ContactField } from '../types.js';
import { aliasField } from './detect.js';
import { ATTRIBUTE_KEYS, MappingError, ignoredColumns, type AttributeColumn, type AttributeKey, type ResolvedMapping } from './mapping.js';
import { isReserved, normalizeHeaderName } from './names.js';

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
  for (const k of READ_KEYS) if (normalizeHeaderName(k) === n) return k;
  // A country column is most often meant for reading phone numbers (or to send, see below).
  if (n.includes('country')) return 'phone_country';
  if (n === 'fallbackname' || n === 'nickname') return 'name_fallback';
  return aliasField(n);
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
  const reads: Pick<ResolvedMapping, 'nameFallback' | 'country' | 'role'> = {};
  for (const [key, value] of entries) {
    // mappingReport writes its explanations under "_" keys; they are comments.
    if (key.startsWith('_')) continue;
    if (isReadKey(key)) {
      resolveRead(key, value, reads, where, source, columnResolver(where, key, source, header, exact, loose));
      continue;
    }
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
          `; the fields are ${FIELD_LIST}, plus ${ATTRIBUTE_KEYS.join(' and ')} for extra columns, and ${READ_KEYS.join(', ')} for columns read but not sent`,
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
  const read = [...(reads.nameFallback ?? []), ...(reads.country?.columns ?? []), ...(reads.role === undefined ? [] : [reads.role])];
  const m: ResolvedMapping = { fields, header, ignored: ignoredColumns(header, fields, attributes, read), detected: false, ...reads };
  if (attributes !== undefined) m.attributes = attributes;
  return m;
}

/** The keys of columns that are read but not sent: a name for rows without one, a phone's country, a role to count. */
const READ_KEYS = ['name_fallback', 'phone_country', 'role'] as const;
type ReadKey = (typeof READ_KEYS)[number];

function isReadKey(key: string): key is ReadKey {
  return (READ_KEYS as readonly string[]).includes(key);
}

/**
 * `"name_fallback": ["Company", "Nickname"]`, `"phone_country": "Country Code"` (or a list, the
 * first non-empty wins), `"role": "role"` (one column).
 */
function resolveRead(
  key: ReadKey,
  value: unknown,
  reads: Pick<ResolvedMapping, 'nameFallback' | 'country' | 'role'>,
  where: string,
  source: string,
  column: (name: unknown) => number,
): void {
  const fail = (message: string): never => {
    throw new MappingError(`${where}: ${JSON.stringify(key)}: ${message}`, { file: source, field: key });
  };
  const example = key === 'name_fallback' ? '["Company", "Nickname"]' : key === 'phone_country' ? '"Country Code"' : '"role"';
  if (key === 'role') {
    if (typeof value !== 'string') fail(`give the one column holding the user's role, such as ${example}; ${showValue(value)} is ${jsonKind(value)}`);
    reads.role = column(value);
    return;
  }
  const list = typeof value === 'string' ? [value] : Array.isArray(value) ? (value as unknown[]) : undefined;
  if (list === undefined) fail(`${showValue(value)} is ${jsonKind(value)}; give a column name or a list of column names tried in order, such as ${example}`);
  if (list!.length === 0) fail('the list of columns is empty; give at least one column name, or remove the key');
  const indexes: number[] = [];
  for (const name of list!) {
    const i = column(name);
    if (!indexes.includes(i)) indexes.push(i);
  }
  if (key === 'name_fallback') reads.nameFallback = indexes;
  else reads.country = { kind: 'columns', columns: indexes };
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
    throw new MappingError(`${where} is not valid JSON${jsonSyntaxError(text, e)}`, { file: path });
  }
  return resolveMappingSpec(spec, header, path);
}

/**
 * Where and why JSON.parse stopped, from its own message. Node 20 gives most errors a position
 * ("Expected ',' or '}' after property value in JSON at position 23"), shown as a line and column;
 * "Unexpected token" errors give none, only a snippet around the token, and are shown as they are.
 * A hint follows for the slips people make when editing JSON by hand.
 */
function jsonSyntaxError(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // Newer Node versions add " (line L column C)" after the position; the position is enough.
  const at = /^(.*?)(?: in JSON)? at position (\d+)/.exec(message);
  // "Unexpected token" messages carry no position but quote the text around the token; the
  // text is never shown (a secret pasted into the wrong file would be), our own scan gives the place.
  const offset = at ? Number(at[2]) : message === 'Unexpected end of JSON input' ? text.length : jsonErrorOffset(text);
  const reason = at?.[1]?.replace(/^./, (c) => c.toLowerCase()) ?? 'unexpected character';
  const before = text.slice(0, offset);
  const place = `at line ${before.split('\n').length}, column ${offset - before.lastIndexOf('\n')}`;
  if (offset >= text.length) return ` ${place}: the file ends too early${at ? ` (${reason})` : ''}`;
  return ` ${place}: ${reason}${jsonHint(text, offset, text[offset], message)}`;
}

/** What to do about the character JSON.parse stopped at, when it is one of the usual slips. */
function jsonHint(text: string, offset: number | undefined, ch: string | undefined, message: string): string {
  if (ch === "'") return `; JSON needs double quotes (") around names and text, not '`;
  if (ch === '/') return '; JSON does not allow comments';
  if (ch === '\n' || ch === '\r' || ch === '\t') return '; text must not contain a line break or tab: close the quote first';
  if (offset === undefined) return '';
  if ((ch === '}' || ch === ']') && text.slice(0, offset).trimEnd().endsWith(',')) {
    return `; a comma before "${ch}" is not allowed in JSON (remove the last comma)`;
  }
  if (message.startsWith("Expected ','") && (ch === '"' || ch === '{' || ch === '[')) {
    return '; a comma is missing before this (entries must be separated by ",")';
  }
  return '';
}

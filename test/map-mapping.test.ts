import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  MappingError,
  describeMapping,
  describeOrigin,
  detectMapping,
  hasAnyField,
  loadMappingFile,
  mappingReport,
  mappingToSpec,
  normalizeHeaderName,
  resolveMappingSpec,
  type ResolvedMapping,
} from '../src/map/index.js';
import { mapRow } from '../src/map/validate.js';

const h = (line: string): string[] => line.split(',');

/** The mapping as column names, which reads better in assertions than indexes. */
function named(m: ResolvedMapping): Record<string, unknown> {
  return mappingToSpec(m);
}

function ignoredNames(m: ResolvedMapping): string[] {
  return m.ignored.map((i) => m.header[i]!);
}

/** The MappingError a function throws (fails the test when it throws nothing or something else). */
function mappingError(fn: () => unknown): MappingError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MappingError);
    return e as MappingError;
  }
  throw new Error('expected a MappingError, nothing was thrown');
}

describe('normalizeHeaderName', () => {
  it('lower-cases, strips accents and everything but letters and digits', () => {
    expect(normalizeHeaderName('E-mail 1 - Value')).toBe('email1value');
    expect(normalizeHeaderName('  Prénom ')).toBe('prenom');
    expect(normalizeHeaderName('PHONE_NUMBER')).toBe('phonenumber');
    expect(normalizeHeaderName('Téléphone (mobile)')).toBe('telephonemobile');
    expect(normalizeHeaderName('電話')).toBe('');
  });
});

describe('detectMapping', () => {
  it('detects a Google Contacts header (full Name wins over given/family)', () => {
    const m = detectMapping(h('Name,Given Name,Family Name,E-mail 1 - Value,Phone 1 - Value'));
    expect(m.detected).toBe(true);
    expect(m.fields).toEqual({
      name: { kind: 'columns', columns: [0] },
      email: { kind: 'columns', columns: [3] },
      phone_number: { kind: 'columns', columns: [4] },
    });
    expect(ignoredNames(m)).toEqual(['Given Name', 'Family Name']);
  });

  it('detects the newer Google Contacts header, skipping the Label/Type columns', () => {
    const m = detectMapping(
      h('First Name,Middle Name,Last Name,E-mail 1 - Label,E-mail 1 - Value,E-mail 2 - Label,E-mail 2 - Value,Phone 1 - Label,Phone 1 - Value,Photo'),
    );
    expect(named(m)).toEqual({
      name: { join: ['First Name', 'Middle Name', 'Last Name'] },
      email: ['E-mail 1 - Value', 'E-mail 2 - Value'],
      phone_number: 'Phone 1 - Value',
      avatar_url: 'Photo',
    });
    expect(ignoredNames(m)).toEqual(['E-mail 1 - Label', 'E-mail 2 - Label', 'Phone 1 - Label']);
  });

  it('detects an Outlook header: name from parts, mobile phone before business phone', () => {
    const m = detectMapping(h('First Name,Middle Name,Last Name,E-mail Address,Mobile Phone,Business Phone'));
    expect(m.fields).toEqual({
      name: { kind: 'join', columns: [0, 1, 2] },
      email: { kind: 'columns', columns: [3] },
      phone_number: { kind: 'columns', columns: [4, 5] },
    });
    expect(m.ignored).toEqual([]);
  });

  it('takes every Outlook email column in order and ranks phones mobile, generic, work, home', () => {
    const m = detectMapping(
      h('Home Phone,E-mail Address,E-mail Display Name,E-mail 2 Address,Business Phone,Primary Phone,Mobile Phone,Business Fax,E-mail 3 Address'),
    );
    expect(named(m)).toEqual({
      email: ['E-mail Address', 'E-mail 2 Address', 'E-mail 3 Address'],
      phone_number: ['Mobile Phone', 'Primary Phone', 'Business Phone', 'Home Phone'],
    });
    expect(ignoredNames(m)).toEqual(['E-mail Display Name', 'Business Fax']);
  });

  it('detects a simple lower-case header', () => {
    const m = detectMapping(h('name,email,phone'));
    expect(m.fields).toEqual({
      name: { kind: 'columns', columns: [0] },
      email: { kind: 'columns', columns: [1] },
      phone_number: { kind: 'columns', columns: [2] },
    });
    expect(m.ignored).toEqual([]);
  });

  it('detects a HubSpot header (Record ID is the identifier)', () => {
    const m = detectMapping(h('Record ID,First Name,Last Name,Email,Phone Number'));
    expect(m.fields).toEqual({
      name: { kind: 'join', columns: [1, 2] },
      email: { kind: 'columns', columns: [3] },
      phone_number: { kind: 'columns', columns: [4] },
      identifier: { kind: 'columns', columns: [0] },
    });
  });

  it('detects a Salesforce-style header', () => {
    const m = detectMapping(h('Contact ID,Account ID,Salutation,First Name,Last Name,Email,Phone,MobilePhone,Account Name'));
    expect(named(m)).toEqual({
      name: { join: ['First Name', 'Last Name'] },
      email: 'Email',
      name_fallback: ['Account Name'],
      phone_number: ['MobilePhone', 'Phone'],
      identifier: 'Contact ID',
    });
    expect(ignoredNames(m)).toEqual(['Account ID', 'Salutation']);
  });

  it('detects the sample file header', () => {
    const m = detectMapping(h('Contact ID,First Name,Last Name,Email,Mobile Phone,Company,Notes'));
    expect(named(m)).toEqual({
      name: { join: ['First Name', 'Last Name'] },
      email: 'Email',
      name_fallback: ['Company'],
      phone_number: 'Mobile Phone',
      identifier: 'Contact ID',
    });
    expect(ignoredNames(m)).toEqual(['Notes']);
  });

  it('matches names case-, space-, punctuation- and accent-insensitively', () => {
    const m = detectMapping(h(' FULL_NAME ,E.Mail,Cell-Phone,Avatar URL,external-id'));
    expect(named(m)).toEqual({
      name: ' FULL_NAME ',
      email: 'E.Mail',
      phone_number: 'Cell-Phone',
      avatar_url: 'Avatar URL',
      identifier: 'external-id',
    });
    expect(named(detectMapping(h('Prénom,Nom de famille,Téléphone')))).toEqual({
      name: { join: ['Prénom', 'Nom de famille'] },
      phone_number: 'Téléphone',
    });
  });

  it('knows the listed aliases of every field', () => {
    const cases: [string, string][] = [
      ['full name', 'name'],
      ['Contact Name', 'name'],
      ['Display Name', 'name'],
      ['Customer Name', 'name'],
      ['e-mail address', 'email'],
      ['Mail', 'email'],
      ['Work Email', 'email'],
      ['Primary Email', 'email'],
      ['Mobile Number', 'phone_number'],
      ['Cell', 'phone_number'],
      ['Telephone', 'phone_number'],
      ['Tel', 'phone_number'],
      ['WhatsApp', 'phone_number'],
      ['Work Phone', 'phone_number'],
      ['Home Phone', 'phone_number'],
      ['Photo URL', 'avatar_url'],
      ['Picture', 'avatar_url'],
      ['Image URL', 'avatar_url'],
      ['Profile Picture', 'avatar_url'],
      ['ID', 'identifier'],
      ['ExternalId', 'identifier'],
      ['Customer ID', 'identifier'],
      ['User ID', 'identifier'],
      ['CRM ID', 'identifier'],
    ];
    for (const [column, field] of cases) {
      expect(Object.keys(detectMapping([column]).fields), column).toEqual([field]);
    }
  });

  it('does not mistake look-alike columns for fields', () => {
    const m = detectMapping(h('Company Name,Account ID,Phone 1 - Type,E-mail 1 - Label,Fax,Email Opt Out,Last Modified'));
    expect(m.fields).toEqual({});
    expect(hasAnyField(m)).toBe(false);
    // The company is read only to name a contact that has no person name: no field of its own.
    expect(m.nameFallback).toEqual([0]);
    expect(m.ignored).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('composes the name from whichever parts are present, in first-middle-last order', () => {
    expect(named(detectMapping(h('Surname,Given Name')))).toEqual({ name: { join: ['Given Name', 'Surname'] } });
    expect(named(detectMapping(h('Last Name')))).toEqual({ name: { join: ['Last Name'] } });
    expect(named(detectMapping(h('Additional Name,First Name')))).toEqual({
      name: { join: ['First Name', 'Additional Name'] },
    });
  });

  it('prefers an explicit external ID to a bare ID', () => {
    const m = detectMapping(h('ID,External ID,Email'));
    expect(named(m)).toEqual({ email: 'Email', identifier: 'External ID' });
    expect(ignoredNames(m)).toEqual(['ID']);
  });

  it('never maps a column starting with "_" (a failures file fed back in)', () => {
    const m = detectMapping(h('_row,_error,_message,name,email,_id,_email,_phone'));
    expect(named(m)).toEqual({ name: 'name', email: 'email' });
    expect(ignoredNames(m)).toEqual(['_row', '_error', '_message', '_id', '_email', '_phone']);
    expect(hasAnyField(detectMapping(h('_name,_email,_phone')))).toBe(false);
  });

  it('maps only the first of duplicate header names; the others stay ignored', () => {
    const m = detectMapping(h('Email,Name,email,E-mail,Phone,Phone,Name'));
    expect(m.fields).toEqual({
      name: { kind: 'columns', columns: [1] },
      email: { kind: 'columns', columns: [0] },
      phone_number: { kind: 'columns', columns: [4] },
    });
    expect(m.ignored).toEqual([2, 3, 5, 6]);
  });

  it('ignores nameless columns and copes with an empty header', () => {
    const m = detectMapping(['', 'email', '   ']);
    expect(named(m)).toEqual({ email: 'email' });
    expect(m.ignored).toEqual([0, 2]);
    const none = detectMapping([]);
    expect(none.fields).toEqual({});
    expect(none.ignored).toEqual([]);
    expect(hasAnyField(none)).toBe(false);
  });
});

describe('describeMapping', () => {
  it('shows each field, alternatives, joins, unmapped fields and ignored columns', () => {
    const m = detectMapping(h('First Name,Last Name,E-mail,Email 2,Notes,_row'));
    expect(describeMapping(m)).toEqual([
      '  name          ← "First Name" + "Last Name"',
      '  email         ← "E-mail" (or "Email 2")',
      '  phone_number  ← (no column)',
      '  avatar_url    ← (no column)',
      '  identifier    ← (no column)',
      '  ignored: "Notes", "_row"',
    ]);
  });

  it('lists several alternatives and says when nothing is ignored', () => {
    const m = detectMapping(h('Mobile,Phone,Work Phone,Name'));
    expect(describeMapping(m)).toEqual([
      '  name          ← "Name"',
      '  email         ← (no column)',
      '  phone_number  ← "Mobile" (or "Phone", "Work Phone")',
      '  avatar_url    ← (no column)',
      '  identifier    ← (no column)',
      '  ignored: (none)',
    ]);
  });

  it('labels a nameless column by its position', () => {
    const m = detectMapping(['email', '']);
    expect(describeMapping(m).at(-1)).toBe('  ignored: (column 2, no name)');
  });
});

describe('mappingToSpec', () => {
  it('round-trips through resolveMappingSpec', () => {
    const header = h('Contact ID,First Name,Last Name,E-mail,Email 2,Mobile,Photo,Notes');
    const detected = detectMapping(header);
    const spec = mappingToSpec(detected);
    expect(spec).toEqual({
      name: { join: ['First Name', 'Last Name'] },
      email: ['E-mail', 'Email 2'],
      phone_number: 'Mobile',
      avatar_url: 'Photo',
      identifier: 'Contact ID',
    });
    const resolved = resolveMappingSpec(JSON.parse(JSON.stringify(spec)), header, 'saved.json');
    expect(resolved.fields).toEqual(detected.fields);
    expect(resolved.ignored).toEqual(detected.ignored);
    expect(resolved.detected).toBe(false);
  });
});

describe('resolveMappingSpec', () => {
  const header = h('Full Name,First,Last,E-mail,Email 2,Mobile,Notes,_row');

  it('accepts a column name, a list of names and a join', () => {
    const m = resolveMappingSpec(
      { name: { join: ['First', 'Last'] }, email: ['E-mail', 'Email 2'], phone_number: 'Mobile' },
      header,
      'map.json',
    );
    expect(m.detected).toBe(false);
    expect(m.header).toBe(header);
    expect(m.fields).toEqual({
      name: { kind: 'join', columns: [1, 2] },
      email: { kind: 'columns', columns: [3, 4] },
      phone_number: { kind: 'columns', columns: [5] },
    });
    expect(ignoredNames(m)).toEqual(['Full Name', 'Notes', '_row']);
  });

  it('maps only the fields in the file (no detection mixed in)', () => {
    const m = resolveMappingSpec({ email: 'Email 2' }, header, 'map.json');
    expect(m.fields).toEqual({ email: { kind: 'columns', columns: [4] } });
    expect(hasAnyField(m)).toBe(true);
  });

  it('matches exactly first, then case-, space- and punctuation-insensitively', () => {
    const hdr = ['email', 'E-Mail', 'Phone Number'];
    expect(resolveMappingSpec({ email: 'E-Mail' }, hdr, 'm.json').fields.email?.columns).toEqual([1]);
    expect(resolveMappingSpec({ email: 'EMAIL' }, hdr, 'm.json').fields.email?.columns).toEqual([0]);
    expect(resolveMappingSpec({ phone_number: 'phone_number' }, hdr, 'm.json').fields.phone_number?.columns).toEqual([2]);
  });

  it('drops a column repeated in a list', () => {
    const m = resolveMappingSpec({ email: ['E-mail', 'e-mail', 'Email 2'] }, header, 'map.json');
    expect(m.fields.email).toEqual({ kind: 'columns', columns: [3, 4] });
  });

  it('lets a column feed two fields', () => {
    const m = resolveMappingSpec({ email: 'E-mail', identifier: 'E-mail' }, header, 'map.json');
    expect(m.fields.identifier).toEqual({ kind: 'columns', columns: [3] });
  });

  it('rejects a file that is not an object', () => {
    for (const [spec, kind] of [
      [[], 'a list'],
      ['email', 'text'],
      [null, 'null'],
      [3, 'a number'],
    ] as const) {
      const e = mappingError(() => resolveMappingSpec(spec, header, 'map.json'));
      expect(e.code).toBe('mapping_error');
      expect(e.message).toContain('mapping file "map.json" must contain a JSON object');
      expect(e.message).toContain(`it contains ${kind}`);
    }
  });

  it('rejects an empty object', () => {
    const e = mappingError(() => resolveMappingSpec({}, header, 'map.json'));
    expect(e.message).toMatch(/^mapping file "map\.json" maps no fields; add at least one of name, email, phone_number, avatar_url, identifier/);
  });

  it('rejects an unknown key and suggests the field it probably means', () => {
    const fields =
      'the fields are name, email, phone_number, avatar_url, identifier, plus custom_attributes and additional_attributes for extra columns, ' +
      'and name_fallback, phone_country, role for columns read but not sent';
    const e = mappingError(() => resolveMappingSpec({ email: 'E-mail', phone: 'Mobile' }, header, 'map.json'));
    expect(e.message).toBe(`mapping file "map.json": unknown field "phone" (did you mean "phone_number"?); ${fields}`);
    expect(e.field).toBe('phone');
    expect(e.file).toBe('map.json');
    expect(mappingError(() => resolveMappingSpec({ email: 'E-mail', notes: 'Notes' }, header, 'map.json')).message).toBe(
      `mapping file "map.json": unknown field "notes"; ${fields}`,
    );
    expect(mappingError(() => resolveMappingSpec({ company: 'Notes' }, header, 'map.json')).message).toBe(
      'mapping file "map.json": unknown field "company" (to send it to LiveDesk, put it under "additional_attributes": ' +
        `{"additional_attributes": {"company_name": "Your Column"}}); ${fields}`,
    );
    expect(mappingError(() => resolveMappingSpec({ 'Custom Attributes': {} }, header, 'm.json')).message).toContain(
      '(did you mean "custom_attributes"?)',
    );
    expect(mappingError(() => resolveMappingSpec({ 'Avatar URL': 'Notes' }, header, 'm.json')).message).toContain(
      '(did you mean "avatar_url"?)',
    );
  });

  it('rejects a column that is not in the header and lists the header', () => {
    const e = mappingError(() => resolveMappingSpec({ email: 'Emial' }, header, 'map.json'));
    expect(e.message).toBe(
      'mapping file "map.json": "email": column "Emial" is not in the CSV header. The header\'s columns are: ' +
        '"Full Name", "First", "Last", "E-mail", "Email 2", "Mobile", "Notes". ' +
        'Fix the name in the mapping file (case, spaces and punctuation do not matter)',
    );
    expect(e.field).toBe('email');
    // The same inside a list and a join.
    expect(mappingError(() => resolveMappingSpec({ email: ['E-mail', 'Work Email'] }, header, 'm.json')).message).toContain(
      '"email": column "Work Email" is not in the CSV header',
    );
    expect(mappingError(() => resolveMappingSpec({ name: { join: ['First', 'Middle'] } }, header, 'm.json')).message).toContain(
      '"name": column "Middle" is not in the CSV header',
    );
  });

  it('rejects a column that starts with "_"', () => {
    const e = mappingError(() => resolveMappingSpec({ identifier: '_row' }, header, 'map.json'));
    expect(e.message).toMatch(/^mapping file "map\.json": "identifier": column "_row" starts with "_"/);
    expect(e.message).toContain('can never be mapped');
    // A "_" name that only matches loosely is not found, and says why it could not be anyway.
    const loose = mappingError(() => resolveMappingSpec({ identifier: '_ROW' }, header, 'map.json'));
    expect(loose.message).toContain('column "_ROW" is not in the CSV header (and columns starting with "_" can never be mapped)');
    // A plain name never matches a "_" column loosely.
    expect(mappingError(() => resolveMappingSpec({ identifier: 'row' }, header, 'map.json')).message).toContain(
      'column "row" is not in the CSV header',
    );
  });

  it('rejects values of the wrong type', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ email: 42 }, 'mapping file "map.json": "email": 42 is a number; give a column name ("E-mail"), a list of column names tried in order (["E-mail", "Email 2"])'],
      [{ email: null }, '"email": null is null; give a column name'],
      [{ email: true }, '"email": true is a boolean'],
      [{ name: { first: 'First' } }, '"name": {"first":"First"} is an object; give a column name ("E-mail"), a list of column names tried in order (["E-mail", "Email 2"]), or {"join": ["First Name", "Last Name"]}'],
      [{ email: ['E-mail', 7] }, '"email": column names must be text in double quotes, but 7 is a number'],
      [{ email: [] }, '"email": the list of columns is empty; give at least one column name'],
      [{ email: '' }, '"email": a column name is empty'],
      [{ email: '  ' }, '"email": a column name is empty'],
      [{ name: { join: [] } }, '"name": "join" is empty; give at least one column name'],
      [{ name: { join: 'First' } }, '"name": "join" must be a list of column names, such as {"join": ["First Name", "Last Name"]}; got "First"'],
      [{ name: { join: ['First'], sep: '-' } }, '"name": {"join":["First"],"sep":"-"}: only "join" is allowed in this object, not "sep"'],
      [{ email: { join: ['E-mail', 'Email 2'] } }, '"email": {"join":["E-mail","Email 2"]}: "join" is only for "name" (composing first and last names); to try several columns in order, give a list such as ["E-mail", "Email 2"]'],
    ];
    for (const [spec, message] of cases) {
      const e = mappingError(() => resolveMappingSpec(spec, header, 'map.json'));
      expect(e.message, JSON.stringify(spec)).toContain(message);
      expect(e.message.startsWith('mapping file "map.json": ')).toBe(true);
    }
  });
});

describe('loadMappingFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'map-mapping-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const header = h('First Name,Last Name,Email,Phone');
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('reads a mapping file (with or without a BOM)', () => {
    const path = file('ok.json', '{\n  "name": {"join": ["First Name", "Last Name"]},\n  "email": "email"\n}\n');
    const m = loadMappingFile(path, header);
    expect(m.fields).toEqual({ name: { kind: 'join', columns: [0, 1] }, email: { kind: 'columns', columns: [2] } });
    expect(m.detected).toBe(false);
    const bom = file('bom.json', '\ufeff{"phone_number": ["Phone"]}');
    expect(loadMappingFile(bom, header).fields).toEqual({ phone_number: { kind: 'columns', columns: [3] } });
  });

  it('names the file in errors about its content', () => {
    const path = file('bad-column.json', '{"email": "Work Email"}');
    const e = mappingError(() => loadMappingFile(path, header));
    expect(e.message).toContain(`mapping file ${JSON.stringify(path)}: "email": column "Work Email" is not in the CSV header`);
    expect(e.message).toContain('"First Name", "Last Name", "Email", "Phone"');
  });

  it('reports a JSON syntax error with its line and column', () => {
    // Line, column and reason are Node's own (JSON.parse's message), with a hint for the usual slips.
    // Node 20 gives "Unexpected token" errors no position, only a snippet of the file: the snippet is
    // never shown (a secret pasted in the wrong file would be), our own scan finds the place.
    const cases: [string, string][] = [
      ['{\n  "email": "Email",\n}\n', ' at line 3, column 1: expected double-quoted property name; a comma before "}" is not allowed in JSON (remove the last comma)'],
      ['{\n  "email": "Email"\n  "phone_number": "Phone"\n}', ` at line 3, column 3: expected ',' or '}' after property value; a comma is missing before this (entries must be separated by ",")`],
      ["{'email': 'Email'}", ` at line 1, column 2: expected property name or '}'; JSON needs double quotes (") around names and text, not '`],
      ['{"email": }', ' at line 1, column 11: unexpected character'],
      ['{"email": "Email"', ` at line 1, column 18: the file ends too early (expected ',' or '}' after property value)`],
      ['{"email": ', ' at line 1, column 11: the file ends too early'],
      ['// my mapping\n{"email": "Email"}', ' at line 1, column 1: unexpected character; JSON does not allow comments'],
      ['{"email": sk_live_123}', ' at line 1, column 11: unexpected character'],
      ['{"email": "Email"} x', ' at line 1, column 20: unexpected non-whitespace character after JSON'],
      ['{"a": "x\ny"}', ' at line 1, column 9: bad control character in string literal; text must not contain a line break or tab: close the quote first'],
      ['{"a": "\\q"}', ' at line 1, column 9: bad escaped character'],
    ];
    for (const [text, where] of cases) {
      const path = file('syntax.json', text);
      const e = mappingError(() => loadMappingFile(path, header));
      expect(e.message, text).toBe(`mapping file ${JSON.stringify(path)} is not valid JSON${where}`);
      expect(e.file).toBe(path);
    }
  });

  it('reports an empty, missing or unreadable file', () => {
    const empty = file('empty.json', ' \n');
    expect(mappingError(() => loadMappingFile(empty, header)).message).toMatch(/^mapping file ".*empty\.json" is empty; it should contain a JSON object/);
    const missing = join(dir, 'missing.json');
    expect(mappingError(() => loadMappingFile(missing, header)).message).toBe(`mapping file ${JSON.stringify(missing)} does not exist`);
    const folder = join(dir, 'folder.json');
    mkdirSync(folder);
    expect(mappingError(() => loadMappingFile(folder, header)).message).toBe(`mapping file ${JSON.stringify(folder)} is a folder, not a file`);
  });
});

describe('mapRow: which cells feed a field', () => {
  const extract = (values: string[], m: Parameters<typeof mapRow>[1]) => mapRow(values, m, {}).contact;
  const m = detectMapping(h('First Name,Middle Name,Last Name,Email,Email 2,Mobile,Phone,Photo,ID,Notes'));

  it('picks trimmed values and leaves out empty fields', () => {
    expect(extract(['  Ada ', '', 'Lovelace', ' ada@example.com ', '', '', '', '', '', 'x'], m)).toEqual({
      name: 'Ada Lovelace',
      email: 'ada@example.com',
    });
  });

  it('takes the first non-empty candidate of a column list', () => {
    const row = ['', '', '', '   ', 'second@example.com', '', '+14155550100', 'https://example.com/a.png', 'C-1', ''];
    expect(extract(row, m)).toEqual({
      email: 'second@example.com',
      phone_number: '+14155550100',
      avatar_url: 'https://example.com/a.png',
      identifier: 'C-1',
    });
    row[3] = 'first@example.com';
    row[5] = '+447911123456';
    expect(extract(row, m)).toMatchObject({ email: 'first@example.com', phone_number: '+447911123456' });
  });

  it('joins the non-empty name parts with one space', () => {
    expect(extract(['Mary', 'Ann', 'Shelley', '', '', '', '', '', '', ''], m).name).toBe('Mary Ann Shelley');
    expect(extract(['', '  ', ' Shelley', '', '', '', '', '', '', ''], m).name).toBe('Shelley');
    expect(extract(['', '', '', '', '', '', '', '', '', 'Notes only'], m)).toEqual({});
  });

  it('treats invisible-only values as empty', () => {
    expect(extract(['', '', '', '\u200b', 'b@example.com', '\u00a0', '+12', '', '', ''], m)).toMatchObject({
      email: 'b@example.com',
      phone_number: '+12',
    });
  });

  it('copes with a short row (missing trailing cells)', () => {
    expect(extract(['Ada'], m)).toEqual({ name: 'Ada' });
    expect(extract([], m)).toEqual({});
  });
});

describe('attributes in a mapping file', () => {
  const header = h('Full Name,E-mail,Company,City,Country,Plan,Signed Up,_row');

  it('resolves custom_attributes and additional_attributes, in the file\'s order', () => {
    const m = resolveMappingSpec(
      {
        name: 'Full Name',
        email: 'E-mail',
        custom_attributes: { plan: 'Plan', signup_date: 'signed up' },
        additional_attributes: { company_name: 'Company', city: 'City', country: 'Country' },
      },
      header,
      'map.json',
    );
    expect(m.attributes).toEqual({
      custom_attributes: [
        { key: 'plan', column: 5 },
        { key: 'signup_date', column: 6 },
      ],
      additional_attributes: [
        { key: 'company_name', column: 2 },
        { key: 'city', column: 3 },
        { key: 'country', column: 4 },
      ],
    });
    expect(ignoredNames(m)).toEqual(['_row']);
    expect(describeMapping(m)).toEqual([
      '  name          ← "Full Name"',
      '  email         ← "E-mail"',
      '  phone_number  ← (no column)',
      '  avatar_url    ← (no column)',
      '  identifier    ← (no column)',
      '  custom_attributes.plan ← "Plan"',
      '  custom_attributes.signup_date ← "Signed Up"',
      '  additional_attributes.company_name ← "Company"',
      '  additional_attributes.city ← "City"',
      '  additional_attributes.country ← "Country"',
      '  ignored: "_row"',
    ]);
  });

  it('leaves attributes out when the objects are empty', () => {
    const m = resolveMappingSpec({ email: 'E-mail', custom_attributes: {} }, header, 'map.json');
    expect(m.attributes).toBeUndefined();
  });

  it('still needs at least one contact field', () => {
    expect(mappingError(() => resolveMappingSpec({ custom_attributes: { plan: 'Plan' } }, header, 'map.json')).message).toMatch(
      /^mapping file "map\.json" maps no fields; add at least one of name, email/,
    );
  });

  it('rejects attributes that are not an object of column names', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ email: 'E-mail', custom_attributes: ['Plan'] }, '"custom_attributes": ["Plan"] is a list; give an object of attribute names and columns, such as {"plan": "Plan", "signup_date": "Created"}'],
      [{ email: 'E-mail', additional_attributes: 'Company' }, '"additional_attributes": "Company" is text; give an object of attribute names and columns, such as {"company_name": "Company", "city": "City", "country": "Country"}'],
      [{ email: 'E-mail', custom_attributes: { plan: ['Plan', 'Signed Up'] } }, '"custom_attributes": "plan": give the one column whose value to send'],
      [{ email: 'E-mail', custom_attributes: { ' ': 'Plan' } }, '"custom_attributes": an attribute name is empty'],
      [{ email: 'E-mail', additional_attributes: { city: 'Town' } }, '"additional_attributes": column "Town" is not in the CSV header'],
      [{ email: 'E-mail', additional_attributes: { city: '_row' } }, 'column "_row" starts with "_"'],
    ];
    for (const [spec, message] of cases) {
      const e = mappingError(() => resolveMappingSpec(spec, header, 'map.json'));
      expect(e.message, JSON.stringify(spec)).toContain(message);
      expect(e.field).toBe(Object.keys(spec)[1]);
    }
  });
});

describe('mappingReport', () => {
  it('prints the mapping as a commented mapping file that maps the same way when passed back', () => {
    const header = h('Record ID,First Name,Last Name,Email,Phone Number,Mobile Phone Number,Contact owner,Associated Company,_row');
    const m = detectMapping(header);
    const text = mappingReport(m);
    expect(text.endsWith('}')).toBe(true);
    expect(text).toContain('\n  "name": {\n    "join": [\n      "First Name",\n      "Last Name"\n    ]\n  },');
    const json = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(['_comment', 'name', 'name_fallback', 'email', 'phone_number', 'identifier', '_ignored_columns']);
    expect((json._comment as string[])[0]).toBe(
      'Mapping detected from the header (HubSpot export). Edit it, save it, and pass it back with --mapping FILE.',
    );
    expect(json.name_fallback).toEqual(['Associated Company']);
    expect(json._ignored_columns).toEqual(['Contact owner', '_row']);
    const back = resolveMappingSpec(json, header, 'mapping.json');
    expect(back.fields).toEqual(m.fields);
    expect(back.nameFallback).toEqual(m.nameFallback);
    expect(back.ignored).toEqual(m.ignored);
  });

  it('round-trips attributes', () => {
    const header = h('Name,Email,Company,Plan');
    const m = resolveMappingSpec({ name: 'Name', email: 'Email', custom_attributes: { plan: 'Plan' }, additional_attributes: { company_name: 'Company' } }, header, 'a.json');
    const json = JSON.parse(mappingReport(m)) as Record<string, unknown>;
    expect(json).toMatchObject({ custom_attributes: { plan: 'Plan' }, additional_attributes: { company_name: 'Company' }, _ignored_columns: [] });
    const back = resolveMappingSpec(json, header, 'b.json');
    expect(back.fields).toEqual(m.fields);
    expect(back.attributes).toEqual(m.attributes);
    expect((json._comment as string[])[0]).toContain('Mapping from the mapping file.');
  });
});

describe('describeOrigin', () => {
  it('names the preset, the generic detection or the mapping file', () => {
    expect(describeOrigin(detectMapping(h('Record ID,Email,Phone Number')))).toBe('detected from the header (HubSpot export)');
    expect(describeOrigin(detectMapping(h('name,email')))).toBe('detected from the header');
    expect(describeOrigin(resolveMappingSpec({ email: 'email' }, h('name,email'), 'm.json'), 'm.json')).toBe('from m.json');
  });
});

describe('mapping file comments', () => {
  it('skips keys starting with "_"', () => {
    const m = resolveMappingSpec({ _comment: ['anything'], email: 'Email', _ignored_columns: 42 }, h('Email,Notes'), 'm.json');
    expect(m.fields).toEqual({ email: { kind: 'columns', columns: [0] } });
  });
});

// Issue 15, items 3–5 (values): cells as exports write them, phones as people write them, names as
// people have them. Each case is a row through mapRow, with a mapping built the way detection
// builds one (a country column and name fallback columns included), so these hold whatever the
// presets become.
import { describe, expect, it } from 'vitest';
import { countryOf, isPlaceholder, mapRow, type MapOptions, type ResolvedMapping, type Validation } from '../src/map/index.js';
import { restoreCell, neutralizeCell } from '../src/security/formula.js';

const HEADER = ['First Name', 'Middle Name', 'Last Name', 'Email', 'Phone', 'Mobile', 'Customer ID', 'Country Code', 'Company', 'Nickname', 'Plan'];
const col = (name: string): number => HEADER.indexOf(name);
const MAPPING: ResolvedMapping = {
  fields: {
    name: { kind: 'join', columns: [col('First Name'), col('Middle Name'), col('Last Name')] },
    email: { kind: 'columns', columns: [col('Email')] },
    phone_number: { kind: 'columns', columns: [col('Phone'), col('Mobile')] },
    identifier: { kind: 'columns', columns: [col('Customer ID')] },
  },
  header: HEADER,
  ignored: [],
  detected: true,
  country: { kind: 'columns', columns: [col('Country Code')] },
  nameFallback: [col('Company'), col('Nickname')],
};

function map(cells: Partial<Record<string, string>>, opts: MapOptions = {}, m: ResolvedMapping = MAPPING): Validation {
  return mapRow(
    m.header.map((h) => cells[h] ?? ''),
    m,
    opts,
  );
}

function valid(cells: Partial<Record<string, string>>, opts: MapOptions = {}, m?: ResolvedMapping): Extract<Validation, { ok: true }> {
  const v = map(cells, opts, m);
  if (!v.ok) throw new Error(`expected a valid row, got ${v.code}: ${v.message}`);
  return v;
}

function invalid(cells: Partial<Record<string, string>>, opts: MapOptions = {}): Extract<Validation, { ok: false }> {
  const v = map(cells, opts);
  if (v.ok) throw new Error(`expected an invalid row, got ${JSON.stringify(v.contact)}`);
  return v;
}

describe('cells as exports write them (item 3)', () => {
  describe('placeholders are empty', () => {
    const PLACEHOLDERS = ['[not provided]', '[Not Provided]', 'N/A', 'n/a', 'N/a', '-', '#N/A', '#n/a', 'null', 'NULL', 'Null', 'unknown', 'Unknown', 'UNKNOWN'];

    it('in every contact field, in any case, with surrounding spaces', () => {
      for (const p of PLACEHOLDERS) {
        expect(isPlaceholder(p), p).toBe(true);
        const v = valid({ 'First Name': 'Ada', Email: ` ${p} `, Phone: p, Mobile: p, 'Customer ID': p });
        expect(v.contact, p).toEqual({ name: 'Ada' });
        expect(v.note, p).toBeUndefined();
      }
    });

    it('only as the whole cell', () => {
      for (const v of ['Unknown Pleasures', 'nullable', 'n/a yet', '--', 'null@example.com', 'N/A2', '[not provided] x']) expect(isPlaceholder(v), v).toBe(false);
      expect(valid({ 'First Name': 'Unknown Pleasures', 'Customer ID': 'null-1' }).contact).toEqual({ name: 'Unknown Pleasures', identifier: 'null-1' });
      expect(valid({ Email: 'null@example.com' }).contact).toEqual({ email: 'null@example.com' });
    });

    it('in names: a placeholder part is left out, a placeholder name is no name (then the company stands in)', () => {
      expect(valid({ 'First Name': 'Ada', 'Middle Name': '-', 'Last Name': '[not provided]' }).contact).toEqual({ name: 'Ada' });
      expect(valid({ 'First Name': '-', 'Last Name': '#N/A', Company: 'Acme Ltd', Email: 'a@example.com' }).contact).toEqual({ name: 'Acme Ltd', email: 'a@example.com' });
      // Null and Unknown are real family names: kept in name cells (emptied in email, phone, identifier).
      expect(valid({ 'First Name': 'Anna', 'Last Name': 'Null', Email: 'anna.null@example.com' }).contact.name).toBe('Anna Null');
      expect(valid({ 'First Name': 'Mo', 'Last Name': 'Unknown', Email: 'null' }).contact).toEqual({ name: 'Mo Unknown' });
      expect(valid({ 'First Name': 'N/A', Email: 'a@example.com' }).contact).toEqual({ email: 'a@example.com' });
    });

    it('a row of placeholders only has no contact data', () => {
      expect(invalid({ 'First Name': '-', Email: 'N/A', Phone: 'null', 'Customer ID': 'unknown', Company: '[not provided]' }).code).toBe('no_contact_data');
    });
  });

  describe("Excel's leading-apostrophe text guard", () => {
    it('is taken off phones and identifiers (Shopify)', () => {
      expect(valid({ Phone: "'+14155550150", 'Customer ID': "'7362947178690" }).contact).toEqual({ phone_number: '+14155550150', identifier: '7362947178690' });
      expect(valid({ Mobile: "' +44 20 7946 0958" }).contact).toEqual({ phone_number: '+442079460958' });
    });

    it('once only, and not from names or emails', () => {
      expect(valid({ 'Customer ID': "''42" }).contact).toEqual({ identifier: "'42" });
      expect(valid({ 'First Name': "'Ada" }).contact).toEqual({ name: "'Ada" });
    });

    it("agrees with the failures file's own guard when a failures file is fed back", () => {
      // The map stage takes the failures file's guard off first (restoreCell), then the cell's own.
      for (const cell of ["'+14155550150", '+14155550150', "'-12345", '-12345', '=A1', "'=A1"]) {
        const written = neutralizeCell(cell);
        const firstRun = valid({ 'Customer ID': cell, 'First Name': 'x' }).contact.identifier;
        const fedBack = valid({ 'Customer ID': restoreCell(written), 'First Name': 'x' }).contact.identifier;
        expect(fedBack, cell).toBe(firstRun);
      }
    });
  });

  describe('several values in one email or phone cell: the first valid one wins', () => {
    it.each([
      ['a@example.com ::: b@example.com', 'a@example.com'],
      ['a@example.com, b@example.com', 'a@example.com'],
      ['a@example.com;b@example.com', 'a@example.com'],
      ['a@example.com; b@example.com', 'a@example.com'],
      ['not an email, b@example.com', 'b@example.com'],
      ['N/A ::: b@example.com', 'b@example.com'],
      ['a(at)example.com, xavier@example.com', 'xavier@example.com'],
      ['a(at)example.com;extra@example.com', 'extra@example.com'],
    ])('email %j → %s', (cell, email) => {
      expect(valid({ Email: cell }).contact).toEqual({ email });
    });

    it.each([
      ['+39 312 345 6789, +39 06 1234 5678', '+393123456789'],
      ['+1 415 555 0100 ::: +1 415 555 0101', '+14155550100'],
      ['+1 415 555 0100;+1 415 555 0101', '+14155550100'],
      ['555-0100, +1 415 555 0101', '+14155550101'],
      ['call me ::: +1 415 555 0101', '+14155550101'],
    ])('phone %j → %s', (cell, phone) => {
      expect(valid({ Phone: cell }).contact).toEqual({ phone_number: phone });
    });

    it("fails with the first value's reason when none is valid", () => {
      const v = invalid({ 'First Name': 'Bo', Email: 'bo(at)example.com, bo at example' });
      expect(v.message).toBe('email "bo(at)example.com" is not a valid address');
      expect(v.contact.email).toBe('bo(at)example.com');
      const p = invalid({ 'First Name': 'Bo', Phone: '555-0100, 555-0101' });
      expect(p.message).toMatch(/^phone "555-0100" is a national number/);
    });

    it('a valid value in a later column still comes after the first column', () => {
      expect(valid({ Phone: 'bad, worse', Mobile: '+1 415 555 0102' }).contact).toEqual({ phone_number: '+14155550102' });
    });
  });

  it('mailto: is taken off emails', () => {
    expect(valid({ Email: 'mailto:Ada@Example.com' }).contact).toEqual({ email: 'ada@example.com' });
    expect(valid({ Email: 'MAILTO: ada@example.com' }).contact).toEqual({ email: 'ada@example.com' });
    expect(valid({ Email: 'mailto:a@example.com, mailto:b@example.com' }).contact).toEqual({ email: 'a@example.com' });
  });

  it('identifiers are opaque: trimmed, never whitespace-collapsed or case-changed', () => {
    expect(valid({ 'Customer ID': '  AbC  12\u00a0x ' }).contact).toEqual({ identifier: 'AbC  12\u00a0x' });
    expect(valid({ 'Customer ID': '\u200bGID://shopify/Customer/1\ufeff' }).contact).toEqual({ identifier: 'GID://shopify/Customer/1' });
    expect(valid({ 'Customer ID': 'a\tb' }).contact).toEqual({ identifier: 'a\tb' });
  });
});

describe('phones as people write them (item 4)', () => {
  describe('extensions are removed, and the note says so', () => {
    it.each([
      ['(212) 555-0123 x204', '204'],
      ['(212) 555-0123 x 204', '204'],
      ['212-555-0123x204', '204'],
      ['+1 212 555 0123 ext. 12', '12'],
      ['+1 212 555 0123 ext 12', '12'],
      ['+1 212 555 0123 Ext.12', '12'],
      ['+1 212 555 0123 extension 12', '12'],
      ['+1 212 555 0123 #12', '12'],
      ['+1 212 555 0123 # 12', '12'],
      ['+1 212 555 0123;ext=12', '12'],
      ['+1 212 555 0123, ext. 12', '12'],
    ])('%j', (cell, ext) => {
      const v = valid({ Email: 'a@example.com', Phone: cell }, { defaultCountry: 'US' });
      expect(v.contact).toEqual({ email: 'a@example.com', phone_number: '+12125550123' });
      expect(v.note).toBe(`phone extension ${ext} removed (LiveDesk has no field for it)`);
    });

    it('a value with letters that are not an extension still fails', () => {
      expect(invalid({ Phone: '+1 800 FLOWERS' }).message).toContain('contains letters');
      expect(invalid({ Phone: '+1 212 555 0123 ext' }).message).toContain('remove the extension');
    });
  });

  describe('a national number that is not valid in its country but is valid read as international', () => {
    it.each([
      ['4915112345678', 'US', '+4915112345678'],
      ['33612345678', 'US', '+33612345678'],
      ['46701234567', 'GB', '+46701234567'],
      ['49 1511 2345678', 'FR', '+4915112345678'],
    ])('%s read in %s → %s, with a note', (cell, country, e164) => {
      const v = valid({ Email: 'a@example.com', Phone: cell }, { defaultCountry: country as 'US' });
      expect(v.contact.phone_number).toBe(e164);
      expect(v.note).toMatch(new RegExp(`^phone ${cell.replace(/ /g, '')} read as \\${e164} \\(not a valid number for ${country} `));
    });

    it('a number valid in the country is read as its national number', () => {
      expect(valid({ Phone: '2125550123' }, { defaultCountry: 'US' })).toEqual({ ok: true, contact: { phone_number: '+12125550123' } });
      // The country's own calling code without + is read by libphonenumber-js's national rules.
      expect(valid({ Phone: '447400123456' }, { defaultCountry: 'GB' })).toEqual({ ok: true, contact: { phone_number: '+447400123456' } });
    });

    it('without any country the number is still refused, with the international reading as a hint', () => {
      const v = invalid({ 'First Name': 'Ada', Phone: '4915112345678' });
      expect(v.message).toBe(
        'phone "4915112345678" is a national number (no country code): pass --default-country XX or write it with + and the country code ' +
          '(if it starts with its country code, that is +4915112345678, DE (Germany))',
      );
    });

    it('a number starting with 0 is never read as international', () => {
      expect(invalid({ Phone: '033612345678' }, { defaultCountry: 'US' }).code).toBe('invalid_phone');
    });
  });

  describe("the row's country column comes before --default-country", () => {
    it('as an ISO code in any case, or a country name', () => {
      for (const country of ['DE', 'de', ' De ', 'Germany', 'Deutschland', 'Allemagne', 'germany']) {
        expect(valid({ Phone: '030 1234567', 'Country Code': country }, { defaultCountry: 'US' }).contact, country).toEqual({ phone_number: '+49301234567' });
      }
      expect(valid({ Phone: '020 7946 0958', 'Country Code': 'United Kingdom' }).contact).toEqual({ phone_number: '+442079460958' });
      expect(valid({ Phone: '020 7946 0958', 'Country Code': 'UK' }).contact).toEqual({ phone_number: '+442079460958' });
      expect(valid({ Phone: '(415) 555-0100', 'Country Code': 'United States' }).contact).toEqual({ phone_number: '+14155550100' });
      expect(valid({ Phone: '(415) 555-0100', 'Country Code': 'USA' }).contact).toEqual({ phone_number: '+14155550100' });
    });

    it('an empty or placeholder country falls back to --default-country', () => {
      expect(valid({ Phone: '(415) 555-0100', 'Country Code': '' }, { defaultCountry: 'US' }).contact).toEqual({ phone_number: '+14155550100' });
      expect(valid({ Phone: '(415) 555-0100', 'Country Code': 'N/A' }, { defaultCountry: 'US' }).contact).toEqual({ phone_number: '+14155550100' });
    });

    it('an unknown country falls back to --default-country, and a failure says it was not recognised', () => {
      expect(valid({ Phone: '(415) 555-0100', 'Country Code': 'Atlantis' }, { defaultCountry: 'US' }).contact).toEqual({ phone_number: '+14155550100' });
      expect(invalid({ Phone: '030 1234567', 'Country Code': 'Atlantis' }, { defaultCountry: 'US' }).message).toBe(
        'phone "030 1234567" is not a valid number for region US (United States); it has no + in front, so it was read with --default-country US ' +
          '(the row\'s country "Atlantis" is not a country this tool knows)',
      );
    });

    it('a failure read in the row\'s country says so', () => {
      expect(invalid({ Phone: '030 12', 'Country Code': 'DE' }, { defaultCountry: 'US' }).message).toMatch(/so it was read with the row's country, DE$/);
    });

    it('does not touch a number written with +', () => {
      expect(valid({ Phone: '+1 415 555 0100', 'Country Code': 'DE' }).contact).toEqual({ phone_number: '+14155550100' });
    });

    it('countryOf knows ISO codes, English names and the common other forms', () => {
      const cases: [string, string | undefined][] = [
        ['us', 'US'], ['GB', 'GB'], ['uk', 'GB'], ['United States of America', 'US'], ['U.S.A.', 'US'], ['Great Britain', 'GB'],
        ['England', 'GB'], ['South Korea', 'KR'], ['Korea, Republic of', 'KR'], ['Czech Republic', 'CZ'], ['Czechia', 'CZ'],
        ['Turkey', 'TR'], ['Türkiye', 'TR'], ["Cote d'Ivoire", 'CI'], ['The Netherlands', 'NL'], ['Espagne', 'ES'], ['España', 'ES'],
        ['Hong Kong', 'HK'], ['Atlantis', undefined], ['XX', undefined], ['', undefined], ['U', undefined],
      ];
      for (const [value, code] of cases) expect(countryOf(value), value).toBe(code);
    });
  });

  it("Excel's scientific notation gets its own message: digits were lost", () => {
    for (const cell of ['4,91511E+12', '4.91511E+12', '4.91511e+12', "'4,91511E+12", '4,91511E12']) {
      const v = invalid({ 'First Name': 'Ada', Phone: cell }, { defaultCountry: 'DE' });
      expect(v.code).toBe('invalid_phone');
      expect(v.message, cell).toBe(
        `phone "${cell}" is in Excel's scientific notation: Excel stored the phone as a number and lost its last digits; ` +
          'format the column as Text in the original file and export it again',
      );
    }
  });

  describe('--invalid-phone', () => {
    it('fail (the default): the row fails, marked as failing for its phone only', () => {
      const v = invalid({ 'First Name': 'Ada', Email: 'ada@example.com', Phone: '555-0100' });
      expect(v).toMatchObject({ code: 'invalid_phone', phoneOnly: true, contact: { phone_number: '5550100' } });
      expect(invalid({ 'Customer ID': 'C1', Phone: '555-0100' }, { invalidPhone: 'fail' }).phoneOnly).toBe(true);
      // A name alone is not enough to be created without the phone: a rerun would create it again.
      expect(invalid({ 'First Name': 'Ada', Phone: '555-0100' }, { invalidPhone: 'fail' }).phoneOnly).toBeUndefined();
      expect(invalid({ 'First Name': 'Ada', Phone: '555-0100' }, { invalidPhone: 'omit' }).code).toBe('invalid_phone');
    });

    it('omit: a row whose only problem is its phone is valid without it, and the note says why', () => {
      const v = valid({ 'First Name': 'Ada', Email: 'ada@example.com', Phone: '555-0100' }, { invalidPhone: 'omit' });
      expect(v.contact).toEqual({ name: 'Ada', email: 'ada@example.com' });
      expect(v.note).toBe(
        'phone number "555-0100" left out: it is a national number (no country code): pass --default-country XX or write it with + and the country code (--invalid-phone omit)',
      );
      const sci = valid({ 'Customer ID': 'C1', Phone: '4,91511E+12' }, { invalidPhone: 'omit' });
      expect(sci.contact).toEqual({ identifier: 'C1' });
      expect(sci.note).toContain("scientific notation");
    });

    it('omit does not save a row that has another problem, or nothing but the phone', () => {
      const email = invalid({ 'First Name': 'Ada', Email: 'ada(at)example.com', Phone: '555-0100' }, { invalidPhone: 'omit' });
      expect(email).toMatchObject({ code: 'invalid_email' });
      expect(email.phoneOnly).toBeUndefined();
      const only = invalid({ Phone: '555-0100' }, { invalidPhone: 'omit' });
      expect(only).toMatchObject({ code: 'invalid_phone', contact: { phone_number: '5550100' } });
      expect(only.phoneOnly).toBeUndefined();
      const avatar: ResolvedMapping = { ...MAPPING, header: [...HEADER, 'Avatar'], fields: { ...MAPPING.fields, avatar_url: { kind: 'columns', columns: [HEADER.length] } } };
      const both = map({ 'First Name': 'Ada', Phone: '555-0100', Avatar: 'avatar.png' }, { invalidPhone: 'omit' }, avatar);
      expect(both).toMatchObject({ ok: false, code: 'invalid_phone' });
      expect(!both.ok && both.phoneOnly).toBeFalsy();
    });
  });
});

describe('names as people have them (item 5, values)', () => {
  it('a contact with no person name takes the company, then the nickname', () => {
    expect(valid({ Company: 'Globex Corporation', Nickname: 'Globby', Email: 'g@example.com' }).contact.name).toBe('Globex Corporation');
    expect(valid({ Company: ' ', Nickname: 'Globby', Email: 'g@example.com' }).contact.name).toBe('Globby');
    expect(valid({ 'First Name': 'Ada', Company: 'Globex' }).contact.name).toBe('Ada');
    expect(valid({ Company: 'Globex', Phone: '+14155550150' }).contact).toEqual({ name: 'Globex', phone_number: '+14155550150' });
  });

  it('a name fallback alone does not make a contact: nothing would stop every rerun creating it again', () => {
    const m: ResolvedMapping = { fields: {}, header: ['Company'], ignored: [], detected: true, nameFallback: [0] };
    const v = mapRow(['Acme'], m, {});
    expect(v).toMatchObject({ ok: false, code: 'no_contact_data' });
    expect(v.ok ? '' : v.message).toContain('"Acme" (a company or nickname column) alone is not imported');
    expect(invalid({ Company: 'Globex' }).code).toBe('no_contact_data');
  });

  describe('family name first for Chinese, Japanese and Korean names', () => {
    it.each([
      ['美玲', '王', '王美玲'],
      ['太郎', '山田', '山田太郎'],
      ['さくら', '佐々木', '佐々木さくら'],
      ['ケン', 'タナカ', 'タナカケン'],
      ['민준', '김', '김민준'],
      ['小龍', '李', '李小龍'],
    ])('%s + %s → %s', (given, family, name) => {
      expect(valid({ 'First Name': given, 'Last Name': family }).contact.name).toBe(name);
    });

    it('only when every part is in CJK script', () => {
      expect(valid({ 'First Name': 'Mei Ling', 'Last Name': '王' }).contact.name).toBe('Mei Ling 王');
      expect(valid({ 'First Name': '美玲', 'Last Name': 'Wang' }).contact.name).toBe('美玲 Wang');
      expect(valid({ 'First Name': 'Ada', 'Last Name': 'Lovelace' }).contact.name).toBe('Ada Lovelace');
      expect(valid({ 'First Name': '美玲' }).contact.name).toBe('美玲');
    });

    it('finds the family name by its column, in any order a mapping file gives', () => {
      const header = ['姓', '名'];
      const m: ResolvedMapping = { fields: { name: { kind: 'join', columns: [0, 1] } }, header, ignored: [], detected: false };
      expect(mapRow(['王', '美玲'], m, {})).toEqual({ ok: true, contact: { name: '王美玲' } });
      const reversed: ResolvedMapping = { fields: { name: { kind: 'join', columns: [1, 0] } }, header: ['Last Name', 'First Name'], ignored: [], detected: false };
      expect(mapRow(['王', '美玲'], reversed, {})).toEqual({ ok: true, contact: { name: '王美玲' } });
      expect(mapRow(['Lovelace', 'Ada'], reversed, {})).toEqual({ ok: true, contact: { name: 'Ada Lovelace' } });
    });

    it('keeps the join as it is when no column is a family name', () => {
      const m: ResolvedMapping = { fields: { name: { kind: 'join', columns: [0, 1] } }, header: ['A', 'B'], ignored: [], detected: false };
      expect(mapRow(['美玲', '王'], m, {})).toEqual({ ok: true, contact: { name: '美玲 王' } });
    });

    it('a full-name column is kept as written', () => {
      const m: ResolvedMapping = { fields: { name: { kind: 'columns', columns: [0] } }, header: ['Name'], ignored: [], detected: true };
      expect(mapRow(['王 美玲'], m, {})).toEqual({ ok: true, contact: { name: '王 美玲' } });
    });
  });
});

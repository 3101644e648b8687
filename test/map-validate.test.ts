import { describe, expect, it } from 'vitest';
import {
  cleanName,
  cleanText,
  detectMapping,
  isCountryCode,
  mapRow,
  resolveMappingSpec,
  toCountryCode,
  normalizeEmail,
  normalizePhone,
  type MapOptions,
  type Validation,
} from '../src/map/index.js';
import type { ErrorCode } from '../src/errors.js';
import type { ContactFields } from '../src/types.js';
import { normalizeContact, validateContact } from './helpers/contact.js';

function ok(raw: ContactFields, opts: MapOptions = {}): ContactFields {
  const v = validateContact(raw, opts);
  if (!v.ok) throw new Error(`expected ${JSON.stringify(raw)} to be valid, got ${v.code}: ${v.message}`);
  return v.contact;
}

function failure(raw: ContactFields, opts: MapOptions = {}): Extract<Validation, { ok: false }> {
  const v = validateContact(raw, opts);
  if (v.ok) throw new Error(`expected ${JSON.stringify(raw)} to be invalid, got ${JSON.stringify(v.contact)}`);
  return v;
}

const code = (raw: ContactFields): ErrorCode => failure(raw).code;

describe('normalization', () => {
  it('trims and collapses whitespace runs in every field but the identifier (opaque: trimmed only)', () => {
    expect(
      normalizeContact({
        name: '  Ada \t  King\n Lovelace ',
        email: ' ada@example.com ',
        phone_number: ' +44 20 7946 0958 ',
        avatar_url: '  https://example.com/a.png ',
        identifier: '  C  42 ',
      }),
    ).toEqual({
      name: 'Ada King Lovelace',
      email: 'ada@example.com',
      phone_number: '+442079460958',
      avatar_url: 'https://example.com/a.png',
      identifier: 'C  42',
    });
    expect(cleanText('a\u00a0\u00a0b\u3000c')).toBe('a b c');
  });

  it('strips zero-width characters, NUL and other controls', () => {
    expect(cleanText('\ufeff\u200bbob\u0000@exa\u2060mple.com\u200d\u200e')).toBe('bob@example.com');
    expect(normalizeEmail('\u202abob@example.com\u202c')).toBe('bob@example.com');
    expect(normalizePhone('\u202a+44 7700 900123\u202c')).toBe('+447700900123');
    expect(cleanText('a\u0001b\u007fc')).toBe('abc');
  });

  it('keeps joiners in names, where some scripts need them', () => {
    expect(cleanName('\u200bمهر\u200cناز\u0000')).toBe('مهر\u200cناز');
    expect(cleanName('👩\u200d💻 Ada')).toBe('👩\u200d💻 Ada');
  });

  it('drops fields that are empty after normalization', () => {
    expect(normalizeContact({ name: ' \u200b ', email: '\u00a0', phone_number: '', identifier: 'x' })).toEqual({ identifier: 'x' });
  });

  it('empties placeholders and takes off Excel\'s text guard and mailto: (issue 15)', () => {
    expect(normalizeContact({ email: 'mailto:Ada@Example.com', phone_number: "'+1 415 555 0100", identifier: "'00042" })).toEqual({
      email: 'ada@example.com',
      phone_number: '+14155550100',
      identifier: '00042',
    });
    expect(normalizeContact({ email: '#N/A', phone_number: 'unknown', identifier: '[not provided]' })).toEqual({});
    expect(code({ name: '-', email: 'N/A' })).toBe('no_contact_data');
  });

  it('lower-cases email but keeps name and identifier case', () => {
    expect(normalizeContact({ name: 'ÉLODIE Dubois', email: 'Elodie.Dubois@Example.FR', identifier: 'AbC-1' })).toEqual({
      name: 'ÉLODIE Dubois',
      email: 'elodie.dubois@example.fr',
      identifier: 'AbC-1',
    });
  });

  it('removes phone formatting characters and turns a leading 00 into +', () => {
    expect(normalizePhone('+1 (415) 555-0134')).toBe('+14155550134');
    expect(normalizePhone('+33.1.99.00.12.34')).toBe('+33199001234');
    expect(normalizePhone('+49 30/1234-5678')).toBe('+493012345678');
    expect(normalizePhone('0044 20 7946 0958')).toBe('+442079460958');
    expect(normalizePhone('00 1 415 555 0100')).toBe('+14155550100');
    expect(normalizePhone('+1 415\u2013555\u20140100')).toBe('+14155550100');
  });

  it('drops a national trunk "(0)" written after the country code', () => {
    expect(normalizePhone('+44 (0)20 7946 0958')).toBe('+442079460958');
    expect(normalizePhone('0044 (0) 7700 900123')).toBe('+447700900123');
    // Anywhere else, parentheses are only formatting.
    expect(normalizePhone('(0)20 7946 0958')).toBe('02079460958');
  });

  it('turns full-width digits into ASCII', () => {
    expect(normalizePhone('＋８１ ９０－１２３４－５６７８')).toBe('+819012345678');
  });

  it('keeps a phone otherwise as typed (no country guessing)', () => {
    expect(normalizePhone('555-0100')).toBe('5550100');
    expect(normalizePhone('020 7946 0321')).toBe('02079460321');
    // Extensions and several values in a cell are mapRow's to split (see test/map-cells.test.ts).
    expect(normalizePhone('+1 415 555 0142 ext. 12')).toBe('+14155550142ext12');
  });

  it('normalizes one value: a cell of several is split by mapRow', () => {
    expect(normalizeEmail(' Mailto:A@Example.com ')).toBe('a@example.com');
    expect(normalizePhone("'+1 415 555 0100")).toBe('+14155550100');
    expect(normalizeEmail('N/A')).toBe('');
  });
});

describe('validateContact', () => {
  it('accepts and returns the normalized contact', () => {
    const raw = { name: ' Seán  O\u2019Brien ', email: 'Sean.OBrien@Example.ORG', phone_number: '+353 1 555 0199', identifier: 'C-7' };
    expect(validateContact(raw)).toEqual({
      ok: true,
      contact: { name: 'Seán O\u2019Brien', email: 'sean.obrien@example.org', phone_number: '+35315550199', identifier: 'C-7' },
    });
    expect(raw.name).toBe(' Seán  O\u2019Brien '); // the input is not modified
  });

  it('accepts a contact with only one of name, email, phone or identifier', () => {
    expect(ok({ name: '李小龍' })).toEqual({ name: '李小龍' });
    expect(ok({ email: 'a@example.com' })).toEqual({ email: 'a@example.com' });
    expect(ok({ phone_number: '+14155550100' })).toEqual({ phone_number: '+14155550100' });
    expect(ok({ identifier: '0007' })).toEqual({ identifier: '0007' });
  });

  describe('no_contact_data', () => {
    it('fails a row with none of name, email, phone, identifier', () => {
      for (const raw of [{}, { name: '   ' }, { email: '\u200b' }, { avatar_url: 'https://example.com/a.png' }]) {
        const f = failure(raw);
        expect(f.code).toBe('no_contact_data');
        expect(f.message).toBe('row has no name, email, phone number or identifier');
      }
    });

    it('comes before every other rule', () => {
      expect(code({ avatar_url: 'not a url' })).toBe('no_contact_data');
    });
  });

  describe('invalid_email', () => {
    it('accepts what LiveDesk accepts, with a dotted domain', () => {
      for (const email of ['a@example.com', 'first.last+tag@sub.example.co.uk', "o'brien@example.ie", 'δοκιμή@παράδειγμα.ελ', 'x@y.z']) {
        expect(ok({ email }).email, email).toBe(email.toLowerCase());
      }
    });

    it('rejects what LiveDesk rejects, quoting the value as typed', () => {
      const f = failure({ email: 'bob(at)example.com' });
      expect(f.code).toBe('invalid_email');
      expect(f.message).toBe('email "bob(at)example.com" is not a valid address');
      expect(failure({ email: 'Bob @Example.com' }).message).toBe('email "Bob @Example.com" is not a valid address: it contains a space');
      expect(failure({ email: 'a@b@example.com' }).message).toBe('email "a@b@example.com" is not a valid address: it has more than one @');
      expect(failure({ email: '@example.com' }).message).toBe(
        'email "@example.com" is not a valid address: there must be text before and after the @',
      );
      expect(code({ email: 'bob@' })).toBe('invalid_email');
    });

    it('also rejects addresses LiveDesk accepts but that are never deliverable', () => {
      expect(failure({ email: 'bob@localhost' }).message).toBe(
        'email "bob@localhost" is not a valid address: the part after @ must be a domain such as example.com',
      );
      expect(failure({ email: 'bob@example..com' }).message).toBe('email "bob@example..com" is not a valid address: it has two dots in a row');
      expect(code({ email: 'bob..smith@example.com' })).toBe('invalid_email');
      expect(code({ email: 'bob@.example.com' })).toBe('invalid_email');
      expect(code({ email: 'bob@example.com.' })).toBe('invalid_email');
    });

    it('keeps the normalized contact in a failure', () => {
      expect(failure({ name: ' Bob ', email: 'Bob(at)Example.com' }).contact).toEqual({ name: 'Bob', email: 'bob(at)example.com' });
    });
  });

  describe('invalid_phone', () => {
    it('accepts valid numbers and sends them in E.164', () => {
      expect(ok({ phone_number: '+44 20 7946 0958' }).phone_number).toBe('+442079460958');
      expect(ok({ phone_number: '+1 (415) 555-0134' }).phone_number).toBe('+14155550134');
      expect(ok({ phone_number: '0061 491 570 156' }).phone_number).toBe('+61491570156');
      expect(ok({ phone_number: '+44 (0)20 7946 0958' }).phone_number).toBe('+442079460958');
      expect(ok({ phone_number: '＋８１ ９０－１２３４－５６７８' }).phone_number).toBe('+819012345678');
    });

    it('refuses a national number without --default-country, saying what to do', () => {
      const f = failure({ phone_number: '555-0100' });
      expect(f.code).toBe('invalid_phone');
      expect(f.message).toBe(
        'phone "555-0100" is a national number (no country code): pass --default-country XX or write it with + and the country code',
      );
      expect(failure({ phone_number: '020 7946 0321' }).message).toContain('national number (no country code): pass --default-country XX');
    });

    it('reads a national number with --default-country', () => {
      expect(ok({ phone_number: '020 7946 0321' }, { defaultCountry: 'GB' }).phone_number).toBe('+442079460321');
      expect(ok({ phone_number: '(415) 555-0123' }, { defaultCountry: 'US' }).phone_number).toBe('+14155550123');
      expect(ok({ phone_number: '1 415 555 0123' }, { defaultCountry: 'US' }).phone_number).toBe('+14155550123');
      expect(ok({ phone_number: '0491 570 156' }, { defaultCountry: 'AU' }).phone_number).toBe('+61491570156');
      // A number written with + keeps its own country.
      expect(ok({ phone_number: '+44 20 7946 0958' }, { defaultCountry: 'US' }).phone_number).toBe('+442079460958');
    });

    it('says which region a national number was read for when it does not fit', () => {
      expect(failure({ phone_number: '020 7946 0321' }, { defaultCountry: 'US' }).message).toBe(
        'phone "020 7946 0321" is too long for region US (United States); it has no + in front, so it was read with --default-country US',
      );
      expect(failure({ phone_number: '555-0100' }, { defaultCountry: 'US' }).message).toBe(
        'phone "555-0100" is too short for region US (United States); it has no + in front, so it was read with --default-country US',
      );
    });

    it('refuses numbers that are not valid, with the reason', () => {
      expect(failure({ phone_number: '+0123456' }).message).toBe('phone "+0123456" has an invalid country code: a country code never starts with 0');
      expect(failure({ phone_number: '+999 1234 5678' }).message).toBe(
        'phone "+999 1234 5678" has an invalid country code: +9, +99 and +999 are not country codes',
      );
      expect(failure({ phone_number: '+12' }).message).toBe('phone "+12" is too short to be a phone number');
      expect(failure({ phone_number: '+1' }).message).toBe('phone "+1" is too short to be a phone number');
      expect(failure({ phone_number: '+44 20 7946' }).message).toBe(
        'phone "+44 20 7946" is too short for country code +44 (United Kingdom and 3 other regions)',
      );
      expect(failure({ phone_number: '+1234567890123456' }).message).toBe(
        'phone "+1234567890123456" is too long for country code +1 (United States and 24 other regions)',
      );
      expect(failure({ phone_number: '+12345678901234567890' }).message).toBe(
        'phone "+12345678901234567890" is too long: a phone number has at most 15 digits',
      );
      // Right length, but no such number: an unassigned US area code, the UK's and France's
      // reserved drama ranges.
      expect(failure({ phone_number: '+1 123 456 7890' }).message).toBe(
        'phone "+1 123 456 7890" is not a valid number for country code +1 (United States and 24 other regions)',
      );
      expect(failure({ phone_number: '+44 7700 900123' }).message).toBe(
        'phone "+44 7700 900123" is not a valid number for country code +44 (United Kingdom and 3 other regions)',
      );
      expect(failure({ phone_number: '+33 6 39 98 12 34' }).message).toBe('phone "+33 6 39 98 12 34" is not a valid number for region FR (France)');
      expect(code({ phone_number: '+' })).toBe('invalid_phone');
    });

    it('says when a phone has letters', () => {
      expect(failure({ phone_number: '+1 800 FLOWERS' }).message).toBe(
        'phone "+1 800 FLOWERS" contains letters; a phone number has only digits, with an optional + in front',
      );
      expect(failure({ phone_number: '+1 415 555 0142 ext' }).message).toBe(
        'phone "+1 415 555 0142 ext" contains letters (remove the extension, or put it in another column)',
      );
      expect(failure({ phone_number: 'call me' }).message).toContain('contains letters');
      // An extension with its number is removed (with a note), and n/a is a placeholder: no phone.
      expect(ok({ phone_number: '+1 415 555 0142 ext. 12' })).toEqual({ phone_number: '+14155550142' });
      expect(code({ phone_number: 'n/a' })).toBe('no_contact_data');
    });

    it('names another stray character', () => {
      expect(failure({ phone_number: '+1 415 555 0100 *2' }).message).toBe(
        'phone "+1 415 555 0100 *2" contains "*"; a phone number has only digits, with an optional + in front',
      );
      expect(failure({ phone_number: '++14155550100' }).message).toContain('contains "+"');
      expect(code({ phone_number: '+1415555+0100' })).toBe('invalid_phone');
    });

    it('quotes the phone as typed (whitespace-normalized), and keeps the cleaned one in the contact', () => {
      const f = failure({ phone_number: '  (415)   555-0100 ', email: 'a@example.com' });
      expect(f.message).toMatch(/^phone "\(415\) 555-0100" /);
      expect(f.contact).toEqual({ email: 'a@example.com', phone_number: '4155550100' });
    });

    it('--invalid-phone omit: valid without the phone when nothing else is wrong, with a note (issue 15)', () => {
      const v = validateContact({ name: 'Ada', email: 'ada@example.com', phone_number: '+1 800 FLOWERS' }, { invalidPhone: 'omit' });
      expect(v).toEqual({
        ok: true,
        contact: { name: 'Ada', email: 'ada@example.com' },
        note: 'phone number "+1 800 FLOWERS" left out: it contains letters; a phone number has only digits, with an optional + in front (--invalid-phone omit)',
        phoneLeftOut: true,
      });
      expect(failure({ name: 'Ada', email: 'ada@example.com', phone_number: '+1 800 FLOWERS' })).toMatchObject({ code: 'invalid_phone', phoneOnly: true });
      // A name alone would be a contact nothing tells apart on the next run: it still fails.
      expect(failure({ name: 'Ada', phone_number: '+1 800 FLOWERS' }, { invalidPhone: 'omit' }).code).toBe('invalid_phone');
      expect(failure({ phone_number: '+1 800 FLOWERS' }, { invalidPhone: 'omit' }).code).toBe('invalid_phone');
    });

    it('reads a number without + as international when it is not valid in the default country (issue 15)', () => {
      expect(validateContact({ phone_number: '33612345678' }, { defaultCountry: 'US' })).toMatchObject({ ok: true, contact: { phone_number: '+33612345678' } });
    });

    it('is checked after email', () => {
      expect(code({ email: 'nope', phone_number: 'nope' })).toBe('invalid_email');
    });
  });

  describe('invalid_avatar_url', () => {
    it('accepts absolute http and https URLs', () => {
      for (const url of ['https://example.com/a.png', 'http://example.org/p?id=1', 'HTTPS://EXAMPLE.COM/A.PNG']) {
        expect(ok({ name: 'A', avatar_url: url }).avatar_url).toBe(url);
      }
    });

    it('rejects anything else', () => {
      for (const url of ['example.com/a.png', '/a.png', 'ftp://example.com/a.png', 'data:image/png;base64,AAAA', 'https://', 'http:example.com', 'javascript:alert(1)']) {
        const f = failure({ name: 'A', avatar_url: url });
        expect(f.code, url).toBe('invalid_avatar_url');
        expect(f.message).toBe(`avatar URL "${url}" is not a web address starting with http:// or https://`);
      }
    });

    it('is checked last', () => {
      expect(code({ name: 'A', phone_number: '+12', avatar_url: 'nope' })).toBe('invalid_phone');
    });
  });

  it('accepts many distinct valid rows (speed is measured in bench/, not here)', () => {
    for (let i = 0; i < 1_000; i++) {
      const row = { name: `Person ${i}`, email: `p${i}@example.com`, phone_number: `+1 415 555 ${String(i).padStart(4, '0')}`, identifier: `C-${i}` };
      expect(validateContact(row).ok).toBe(true);
    }
  });
});

describe('mapRow', () => {
  const header = 'Name,E-mail,Email 2,Mobile,Phone,Work Phone,Avatar,Photo URL,ID,Company,City,Plan'.split(',');
  const m = detectMapping(header);
  const row = (cells: Partial<Record<string, string>>): string[] => header.map((h) => cells[h] ?? '');

  it('maps a row to a normalized contact', () => {
    expect(mapRow(row({ Name: ' Ada  Lovelace ', 'E-mail': 'Ada@Example.com', Mobile: '+44 20 7946 0958', ID: ' C-1 ' }), m, {})).toEqual({
      ok: true,
      contact: { name: 'Ada Lovelace', email: 'ada@example.com', phone_number: '+442079460958', identifier: 'C-1' },
    });
  });

  it('takes the first candidate that is valid, not merely the first non-empty one', () => {
    const v = mapRow(
      row({ Name: 'Bob', 'E-mail': 'bob(at)example.com', 'Email 2': 'bob@example.com', Mobile: '555-0100', Phone: 'n/a', 'Work Phone': '+1 415 555 0100', Avatar: 'avatar.png', 'Photo URL': 'https://example.com/b.png' }),
      m,
      {},
    );
    expect(v).toEqual({
      ok: true,
      contact: { name: 'Bob', email: 'bob@example.com', phone_number: '+14155550100', avatar_url: 'https://example.com/b.png' },
    });
  });

  it('fails with the first candidate\'s reason when none is valid, keeping its value', () => {
    const v = mapRow(row({ Name: 'Bob', 'E-mail': 'bob(at)example.com', 'Email 2': 'bob@localhost' }), m, {});
    expect(v).toEqual({
      ok: false,
      code: 'invalid_email',
      message: 'email "bob(at)example.com" is not a valid address',
      contact: { name: 'Bob', email: 'bob(at)example.com' },
    });
    const p = mapRow(row({ Name: 'Bob', Mobile: '555-0100', Phone: '+44 7700 900123' }), m, {});
    expect(p.ok).toBe(false);
    expect(p).toMatchObject({ code: 'invalid_phone', contact: { phone_number: '5550100' } });
    expect(!p.ok && p.message).toMatch(/^phone "555-0100" is a national number/);
  });

  it('skips empty and invisible candidates', () => {
    const v = mapRow(row({ 'E-mail': ' \u200b ', 'Email 2': 'c@example.com', Mobile: '\u00a0', Phone: '+1 415 555 0101' }), m, {});
    expect(v).toEqual({ ok: true, contact: { email: 'c@example.com', phone_number: '+14155550101' } });
  });

  it('uses the default country for national numbers, per row', () => {
    expect(mapRow(row({ Name: 'Cy', Mobile: '020 7946 0321' }), m, { defaultCountry: 'GB' })).toEqual({
      ok: true,
      contact: { name: 'Cy', phone_number: '+442079460321' },
    });
  });

  it('takes the first valid of Google\'s ::: values', () => {
    expect(mapRow(row({ 'E-mail': 'a@example.com ::: b@example.com' }), m, {})).toEqual({ ok: true, contact: { email: 'a@example.com' } });
    expect(mapRow(row({ 'E-mail': 'broken ::: b@example.com' }), m, {})).toEqual({ ok: true, contact: { email: 'b@example.com' } });
    const v = mapRow(row({ 'E-mail': 'broken ::: also broken' }), m, {});
    expect(v).toMatchObject({ ok: false, code: 'invalid_email', message: 'email "broken" is not a valid address', contact: { email: 'broken' } });
  });

  it('copes with a short row', () => {
    expect(mapRow(['Ada'], m, {})).toEqual({ ok: true, contact: { name: 'Ada' } });
    expect(mapRow([], m, {})).toMatchObject({ ok: false, code: 'no_contact_data' });
  });

  describe('attributes from a mapping file', () => {
    const withAttributes = resolveMappingSpec(
      {
        name: 'Name',
        email: 'E-mail',
        custom_attributes: { plan: 'Plan' },
        additional_attributes: { company_name: 'Company', city: 'City' },
      },
      header,
      'map.json',
    );

    it('sends them as trimmed strings, leaving empty ones out', () => {
      expect(mapRow(row({ Name: 'Ada', Company: '  Analytical  Engines ', City: '', Plan: 'Gold' }), withAttributes, {})).toEqual({
        ok: true,
        contact: { name: 'Ada', custom_attributes: { plan: 'Gold' }, additional_attributes: { company_name: 'Analytical Engines' } },
      });
    });

    it('leaves an object out when all its values are empty', () => {
      expect(mapRow(row({ Name: 'Ada', Company: ' ', Plan: '' }), withAttributes, {})).toEqual({ ok: true, contact: { name: 'Ada' } });
    });

    it('does not count attributes as contact data', () => {
      expect(mapRow(row({ Company: 'Acme', Plan: 'Gold' }), withAttributes, {})).toMatchObject({ ok: false, code: 'no_contact_data' });
    });

    it('are never detected without a mapping file', () => {
      expect(mapRow(row({ Name: 'Ada', Company: 'Acme' }), m, {})).toEqual({ ok: true, contact: { name: 'Ada' } });
    });
  });
});

describe('isCountryCode / toCountryCode', () => {
  it('knows ISO 3166 alpha-2 codes that have numbering rules, in upper case', () => {
    for (const code of ['GB', 'US', 'FR', 'DE', 'JP', 'BR', 'XK', 'AU']) expect(isCountryCode(code), code).toBe(true);
    for (const code of ['gb', 'UK', 'XX', 'USA', 'G', '', '44', 'ZZ']) expect(isCountryCode(code), code).toBe(false);
  });

  it('forgives case and spaces when reading a flag value', () => {
    expect(toCountryCode(' gb ')).toBe('GB');
    expect(toCountryCode('Us')).toBe('US');
    expect(toCountryCode('uk')).toBeUndefined();
  });
});

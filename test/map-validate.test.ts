import { describe, expect, it } from 'vitest';
import {
  cleanName,
  cleanText,
  normalizeContact,
  normalizeEmail,
  normalizePhone,
  validateContact,
  type Validation,
} from '../src/map/index.js';
import type { ContactFields, ErrorCode } from '../src/types.js';

function ok(raw: ContactFields): ContactFields {
  const v = validateContact(raw);
  if (!v.ok) throw new Error(`expected ${JSON.stringify(raw)} to be valid, got ${v.code}: ${v.message}`);
  return v.contact;
}

function failure(raw: ContactFields): Extract<Validation, { ok: false }> {
  const v = validateContact(raw);
  if (v.ok) throw new Error(`expected ${JSON.stringify(raw)} to be invalid, got ${JSON.stringify(v.contact)}`);
  return v;
}

const code = (raw: ContactFields): ErrorCode => failure(raw).code;

describe('normalization', () => {
  it('trims and collapses whitespace runs in every field', () => {
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
      identifier: 'C 42',
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
    expect(normalizePhone('+1 415 555 0142 ext. 12')).toBe('+14155550142ext12');
  });

  it('takes the first of several values Google packs into one cell', () => {
    expect(normalizeEmail('A@Example.com ::: b@example.com')).toBe('a@example.com');
    expect(normalizePhone('+1 415 555 0100 ::: +1 415 555 0101')).toBe('+14155550100');
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
    it('accepts E.164 after normalization, from 2 to 15 digits', () => {
      expect(ok({ phone_number: '+12' }).phone_number).toBe('+12');
      expect(ok({ phone_number: '+123456789012345' }).phone_number).toBe('+123456789012345');
      expect(ok({ phone_number: '+44 20 7946 0958' }).phone_number).toBe('+442079460958');
      expect(ok({ phone_number: '+1 (415) 555-0134' }).phone_number).toBe('+14155550134');
      expect(ok({ phone_number: '0061 491 570 156' }).phone_number).toBe('+61491570156');
    });

    it('rejects a national number, saying what to do', () => {
      const f = failure({ phone_number: '555-0100' });
      expect(f.code).toBe('invalid_phone');
      expect(f.message).toBe('phone "555-0100" is not in international E.164 form (+ and country code, e.g. +14155550100)');
      expect(failure({ phone_number: '020 7946 0321' }).message).toBe(
        'phone "020 7946 0321" is not in international E.164 form (+ and country code, e.g. +14155550100): ' +
          'replace the leading 0 with + and the country code',
      );
    });

    it('rejects a country code starting with 0', () => {
      expect(failure({ phone_number: '+0123456' }).message).toBe(
        'phone "+0123456" is not in international E.164 form (+ and country code, e.g. +14155550100): a country code never starts with 0',
      );
    });

    it('rejects more than 15 digits and fewer than 2', () => {
      expect(failure({ phone_number: '+1234567890123456' }).message).toContain(': it has 16 digits, at most 15 are allowed');
      expect(failure({ phone_number: '+1' }).message).toContain(': it has too few digits');
      expect(code({ phone_number: '+' })).toBe('invalid_phone');
    });

    it('says when a phone has letters', () => {
      expect(failure({ phone_number: '+1 800 FLOWERS' }).message).toBe(
        'phone "+1 800 FLOWERS" is not in international E.164 form (+ and country code, e.g. +14155550100): ' +
          'it contains letters, a phone number must be digits only',
      );
      expect(failure({ phone_number: '+1 415 555 0142 ext. 12' }).message).toContain(
        'it contains letters (remove the extension, or put it in another column)',
      );
      expect(failure({ phone_number: '+1 415 555 0142 x12' }).message).toContain('remove the extension');
      expect(code({ phone_number: 'n/a' })).toBe('invalid_phone');
    });

    it('names another stray character', () => {
      expect(failure({ phone_number: '+1 415 555 0100 #2' }).message).toContain(': it contains "#"');
      expect(code({ phone_number: '++14155550100' })).toBe('invalid_phone');
      expect(code({ phone_number: '+1415555+0100' })).toBe('invalid_phone');
    });

    it('quotes the phone as typed (whitespace-normalized), and keeps the normalized one in the contact', () => {
      const f = failure({ phone_number: '  (415)   555-0100 ', email: 'a@example.com' });
      expect(f.message).toMatch(/^phone "\(415\) 555-0100" /);
      expect(f.contact).toEqual({ email: 'a@example.com', phone_number: '4155550100' });
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
      expect(code({ name: 'A', phone_number: '12', avatar_url: 'nope' })).toBe('invalid_phone');
    });
  });

  it('accepts many distinct valid rows (speed is measured in bench/, not here)', () => {
    for (let i = 0; i < 2_000; i++) {
      const row = { name: `Person ${i}`, email: `p${i}@example.com`, phone_number: `+1 415 555 ${String(i).padStart(4, '0')}`, identifier: `C-${i}` };
      expect(validateContact(row).ok).toBe(true);
    }
  });
});

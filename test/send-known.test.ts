// What the state store decides on its own (issue 13): a contact it knows under the row's keys,
// judged by keys that agree, and whether the fields last sent are the row's.
import { describe, expect, it } from 'vitest';
import { decideKnown, fingerprint, type Known } from '../src/send/known.js';

const ada = { name: 'Ada Lovelace', email: 'ada@example.com', phone_number: '+14155550100', identifier: 'C-1' };
const known = (over: Partial<Known> = {}): Known => ({ id: '55', fingerprint: fingerprint(ada), identifier: 'C-1', email: 'ada@example.com', phone_number: '+14155550100', ...over });

describe('fingerprint', () => {
  it('is the same for the same fields, attributes in any order; differs for any change', () => {
    const a = fingerprint({ ...ada, custom_attributes: { plan: 'pro', seats: '3' } });
    expect(fingerprint({ ...ada, custom_attributes: { seats: '3', plan: 'pro' } })).toBe(a);
    expect(fingerprint({ ...ada, custom_attributes: { seats: '4', plan: 'pro' } })).not.toBe(a);
    expect(fingerprint({ ...ada, name: 'Ada King' })).not.toBe(fingerprint(ada));
    expect(fingerprint({ ...ada, avatar_url: 'https://x.example/a.png' })).not.toBe(fingerprint(ada));
    // A field moved into another is a change, not the same text.
    expect(fingerprint({ name: 'x', identifier: '' })).not.toBe(fingerprint({ identifier: 'x' }));
  });

  it('is pinned: stores keep fingerprints across versions, so a new formula would make every row "changed" once', () => {
    // SHA-256 of the fields' JSON (name, email, phone, avatar, identifier, attributes), 22 base64url characters (132 bits).
    expect(fingerprint(ada)).toBe('U9Bkw2DO5V7fi3KEp-WKL4');
  });
});

describe('decideKnown', () => {
  it('unknown when the store holds none of the row\'s keys', () => {
    expect(decideKnown(ada, {})).toEqual({ kind: 'unknown' });
  });
  it('known and the same: every key leads to one contact that agrees, and the fields last sent are the row\'s', () => {
    const c = known();
    expect(decideKnown(ada, { identifier: c, email: c, phone_number: c })).toEqual({ kind: 'known', contact: c, same: true });
  });
  it('known and changed: a new name', () => {
    const c = known();
    expect(decideKnown({ ...ada, name: 'Ada King' }, { identifier: c, email: c, phone_number: c })).toMatchObject({ kind: 'known', same: false });
  });
  it('known with no fingerprint (found, never sent by us) counts as changed', () => {
    const c = known({ fingerprint: '' });
    expect(decideKnown(ada, { identifier: c, email: c, phone_number: c })).toMatchObject({ kind: 'known', same: false });
  });
  it('contested when a key of the row is not on the known contact (a new phone, a new identifier): LiveDesk decides', () => {
    const c = known();
    expect(decideKnown(ada, { identifier: c, email: c })).toEqual({ kind: 'contested' });
  });
  it('contested when two contacts hold the row\'s keys', () => {
    expect(decideKnown(ada, { identifier: known(), email: known({ id: '66', identifier: 'C-2' }) })).toEqual({ kind: 'contested' });
  });
  it('contested when the contact disagrees with the row (its email differs), or shares only a phone with a contact that has more', () => {
    expect(decideKnown({ ...ada, email: 'other@example.com' }, { identifier: known() })).toEqual({ kind: 'contested' });
    expect(decideKnown({ name: 'Carol', phone_number: '+14155550100' }, { phone_number: known() })).toEqual({ kind: 'contested' });
  });
});

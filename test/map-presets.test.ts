// The product exports in fixtures/presets/: each is recognised as its product, its columns feed
// the right fields, and its two rows become the contacts LiveDesk should get.
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import {
  PRESETS,
  detectMapping,
  mapRow,
  mappingReport,
  mappingToSpec,
  normalizeHeaderName,
  resolveMappingSpec,
  type MapOptions,
  type MappingSpec,
  type ResolvedMapping,
  type Validation,
} from '../src/map/index.js';

function fixture(file: string): { header: string[]; rows: string[][] } {
  const [header, ...rows] = parse(readFileSync(new URL(`../fixtures/presets/${file}`, import.meta.url)), { bom: true }) as string[][];
  return { header: header!, rows };
}

interface Case {
  file: string;
  preset: string;
  spec: MappingSpec;
  /** Columns that look like a field but must be left out (IDs of other records, labels, faxes). */
  notMapped: string[];
  contacts: Validation[];
  opts?: MapOptions;
}

const CASES: Case[] = [
  {
    file: 'google.csv',
    preset: 'Google Contacts export',
    spec: {
      name: { join: ['First Name', 'Middle Name', 'Last Name'] },
      name_fallback: ['Organization Name', 'File As', 'Nickname'],
      email: ['E-mail 1 - Value', 'E-mail 2 - Value'],
      phone_number: ['Phone 1 - Value', 'Phone 2 - Value'],
      phone_country: 'Address 1 - Country',
      avatar_url: 'Photo',
    },
    notMapped: ['E-mail 1 - Label', 'Phone 1 - Label', 'Labels', 'Organization Title', 'Phonetic First Name', 'Address 1 - Label'],
    contacts: [
      // Several values in one cell: the first is taken.
      { ok: true, contact: { name: 'Ana Beatriz Lima', email: 'ana.lima@example.com', phone_number: '+14155550142', avatar_url: 'https://lh3.googleusercontent.com/contacts/ANa1bCdEf' } },
      // "tom.baker@" is not an address: the second email column is used.
      { ok: true, contact: { name: 'Tom Baker', email: 'tom.baker@example.org', phone_number: '+442079460301' } },
    ],
  },
  {
    file: 'google-legacy.csv',
    preset: 'Google Contacts export',
    spec: {
      name: 'Name',
      name_fallback: ['Nickname'],
      email: ['E-mail 1 - Value', 'E-mail 2 - Value'],
      phone_number: ['Phone 1 - Value', 'Phone 2 - Value'],
      avatar_url: 'Photo',
    },
    notMapped: ['Given Name', 'Family Name', 'E-mail 1 - Type', 'Phone 1 - Type', 'Group Membership', 'Initials'],
    contacts: [
      { ok: true, contact: { name: 'Grace Hopper', email: 'grace.hopper@example.com', phone_number: '+12125550187' } },
      // Phone 1 is a national number (no --default-country): Phone 2 is valid and used.
      { ok: true, contact: { name: 'Kenji Sato', email: 'kenji.sato@example.jp', phone_number: '+61491570110' } },
    ],
  },
  {
    file: 'outlook.csv',
    preset: 'Outlook export',
    spec: {
      name: { join: ['First Name', 'Middle Name', 'Last Name'] },
      name_fallback: ['Company'],
      email: ['E-mail Address', 'E-mail 2 Address', 'E-mail 3 Address'],
      phone_number: ['Mobile Phone', 'Primary Phone', 'Business Phone', 'Business Phone 2', 'Home Phone', 'Home Phone 2', 'Other Phone'],
      phone_country: ['Business Country/Region', 'Home Country/Region', 'Other Country/Region'],
    },
    notMapped: ['Title', 'Company Main Phone', "Assistant's Phone", 'Business Fax', 'Pager', 'Car Phone', 'E-mail Display Name', 'Government ID Number'],
    contacts: [
      // An Exchange contact: its first "address" is an X.500 path, the SMTP one comes second.
      { ok: true, contact: { name: 'Margaret H. Hamilton', email: 'margaret.hamilton@example.com', phone_number: '+12125550187' } },
      // The mobile is written nationally: the business phone is the first valid one.
      { ok: true, contact: { name: 'Alan Turing', email: 'alan.turing@example.co.uk', phone_number: '+442079460418' } },
    ],
  },
  {
    file: 'hubspot.csv',
    preset: 'HubSpot export',
    spec: {
      name: { join: ['First Name', 'Last Name'] },
      name_fallback: ['Associated Company'],
      email: 'Email',
      phone_number: ['Mobile Phone Number', 'Phone Number'],
      identifier: 'Record ID',
    },
    notMapped: ['Primary Associated Company ID', 'Contact owner', 'Lifecycle Stage'],
    contacts: [
      { ok: true, contact: { name: 'Priya Raman', email: 'priya.raman@example.com', phone_number: '+14155550111', identifier: '51234567801' } },
      { ok: true, contact: { name: 'Jonas Berg', email: 'jonas.berg@example.se', phone_number: '+442079460502', identifier: '51234567802' } },
    ],
  },
  {
    file: 'salesforce-api.csv',
    preset: 'Salesforce export (API names)',
    spec: { name: 'Name', email: 'Email', phone_number: ['MobilePhone', 'Phone', 'HomePhone', 'OtherPhone'], phone_country: 'MailingCountry', identifier: 'Id' },
    // PhotoUrl is a path on the Salesforce instance, not a URL: every row would fail.
    notMapped: ['AccountId', 'OwnerId', 'MasterRecordId', 'ReportsToId', 'CreatedById', 'PhotoUrl', 'AssistantPhone', 'Fax'],
    contacts: [
      { ok: true, contact: { name: 'Chidi Okafor', email: 'chidi.okafor@example.com', phone_number: '+13125550143', identifier: '0035g00000AbCdEAA1' } },
      { ok: true, contact: { name: 'Linh Nguyen', email: 'linh.nguyen@example.com.au', phone_number: '+61491570157', identifier: '0035g00000AbCdFAA1' } },
    ],
  },
  {
    file: 'salesforce-report.csv',
    preset: 'Salesforce report export',
    spec: { name: { join: ['First Name', 'Last Name'] }, name_fallback: ['Account Name'], email: 'Email', phone_number: ['Mobile', 'Phone'], identifier: 'Contact ID' },
    notMapped: ['Account ID', 'Contact Owner'],
    contacts: [
      { ok: true, contact: { name: 'Chidi Okafor', email: 'chidi.okafor@example.com', phone_number: '+13125550143', identifier: '0035g00000AbCdE' } },
      { ok: true, contact: { name: 'Linh Nguyen', email: 'linh.nguyen@example.com.au', phone_number: '+61491570157', identifier: '0035g00000AbCdF' } },
    ],
  },
  {
    file: 'pipedrive.csv',
    preset: 'Pipedrive export',
    spec: {
      name: 'Person - Name',
      name_fallback: ['Person - Organization'],
      email: ['Person - Email - Work', 'Person - Email - Home', 'Person - Email - Other'],
      phone_number: ['Person - Phone - Mobile', 'Person - Phone - Work', 'Person - Phone - Home', 'Person - Phone - Other'],
      identifier: 'Person - ID',
    },
    notMapped: ['Person - Owner', 'Person - Label', 'Person - First name'],
    contacts: [
      { ok: true, contact: { name: 'Léa Martin', email: 'lea.martin@sio.example.fr', phone_number: '+33199001235', identifier: '1042' } },
      { ok: true, contact: { name: 'Marco Rossi', email: 'marco.rossi@example.it', phone_number: '+16465550182', identifier: '1043' } },
    ],
  },
  {
    file: 'pipedrive-people.csv',
    preset: 'Pipedrive export',
    spec: {
      name: 'Name',
      name_fallback: ['Organization'],
      email: ['Email - Work', 'Email - Home', 'Email - Other'],
      phone_number: ['Phone - Mobile', 'Phone - Work', 'Phone - Home', 'Phone - Other'],
      identifier: 'ID',
    },
    notMapped: ['Organization ID'],
    contacts: [
      { ok: true, contact: { name: 'Léa Martin', email: 'lea.martin@sio.example.fr', phone_number: '+33199001235', identifier: '1042' } },
      { ok: true, contact: { name: 'Marco Rossi', email: 'marco.rossi@example.it', phone_number: '+16465550182', identifier: '1043' } },
    ],
  },
  {
    file: 'zoho.csv',
    preset: 'Zoho CRM export',
    spec: { name: 'Contact Name', name_fallback: ['Account Name'], email: ['Email', 'Secondary Email'], phone_number: ['Mobile', 'Phone', 'Home Phone', 'Other Phone'], identifier: 'Record Id' },
    notMapped: ['Contact Owner.id', 'Account Name.id', 'Asst Phone', 'Contact Owner'],
    contacts: [
      { ok: true, contact: { name: 'Dana Whitfield', email: 'dana@ridgepg.example.com', phone_number: '+16145550101', identifier: '4876876000000211' } },
      { ok: true, contact: { name: 'Sam Lee', email: 'sam.lee@example.net', phone_number: '+16145550102', identifier: '4876876000000212' } },
    ],
  },
  {
    file: 'mailchimp.csv',
    preset: 'Mailchimp audience export',
    spec: { name: { join: ['First Name', 'Last Name'] }, email: 'Email Address', phone_number: 'Phone Number', phone_country: 'CC', identifier: 'EUID' },
    notMapped: ['LEID', 'OPTIN_IP', 'REGION', 'Address'],
    // Mailchimp keeps phone numbers as typed, usually national.
    opts: { defaultCountry: 'US' },
    contacts: [
      { ok: true, contact: { name: 'Jane Doe', email: 'jane.doe@example.com', phone_number: '+14155550123', identifier: 'a1b2c3d4e5' } },
      { ok: true, contact: { name: 'Marc Chen', email: 'marc.chen@example.com', identifier: 'f6e5d4c3b2' } },
    ],
  },
  {
    file: 'chatwoot.csv',
    preset: 'Chatwoot contact import file',
    spec: { name: 'name', name_fallback: ['company_name'], email: 'email', phone_number: 'phone_number', identifier: 'identifier' },
    notMapped: ['id', 'ip_address', 'custom_attribute_1'],
    contacts: [
      { ok: true, contact: { name: 'Clara Uzzell', email: 'clara.uzzell@example.org', phone_number: '+15417543010', identifier: 'bb4e11cd-0f23-49da-a123-dcc1fec6852c' } },
      { ok: true, contact: { name: 'Mario Creegan', email: 'mario.creegan@example.edu', phone_number: '+15417543011', identifier: 'e60bab4c-9fbb-47eb-8f75-42025b789c47' } },
    ],
  },
  {
    file: 'livedesk.csv',
    preset: 'LiveDesk field names',
    spec: { name: 'name', email: 'email', phone_number: 'phone_number', avatar_url: 'avatar_url', identifier: 'identifier' },
    notMapped: [],
    contacts: [
      { ok: true, contact: { name: 'Ada Lovelace', email: 'ada.lovelace@example.com', phone_number: '+442079460958', avatar_url: 'https://example.com/avatars/ada.png', identifier: 'C-1001' } },
      {
        ok: false,
        code: 'invalid_avatar_url',
        message: 'avatar URL "avatars/charles.png" is not a web address starting with http:// or https://',
        contact: { name: 'Charles Babbage', email: 'charles.babbage@example.com', phone_number: '+442079460959', avatar_url: 'avatars/charles.png', identifier: 'C-1002' },
      },
    ],
  },
];

describe.each(CASES)('$file', ({ file, preset, spec, notMapped, contacts, opts }) => {
  const { header, rows } = fixture(file);
  const m = detectMapping(header);
  const ignored = m.ignored.map((i) => header[i]);

  it(`is recognised as ${preset}, and says which column feeds which field`, () => {
    expect(m.preset).toBe(preset);
    expect(mappingToSpec(m)).toEqual(spec);
    for (const column of notMapped) expect(ignored, column).toContain(column);
  });

  it('gives the expected contacts', () => {
    expect(rows.map((r) => mapRow(r, m, opts ?? {}))).toEqual(contacts);
  });

  it('maps the same way through `mapping FILE` and --mapping', () => {
    const back = resolveMappingSpec(JSON.parse(mappingReport(m)), header, 'saved.json');
    expect(back.fields).toEqual(m.fields);
    expect(back.nameFallback).toEqual(m.nameFallback);
    expect(back.country).toEqual(m.country);
    expect(back.ignored).toEqual(m.ignored);
  });
});

describe('presets', () => {
  it('each fixture matches its own preset, and no other but where the order settles it', () => {
    // Chatwoot's sample uses LiveDesk's field names (LiveDesk is Chatwoot underneath) and starts
    // like its contacts export; the import sample's preset comes first and keeps `id` out too.
    const overlaps: Record<string, string[]> = { 'chatwoot.csv': ['Chatwoot contacts export', 'LiveDesk field names'] };
    for (const { file, preset } of CASES) {
      const { header } = fixture(file);
      const names = new Set(header.map(normalizeHeaderName));
      const matching = PRESETS.filter((p) => p.matches(names, header)).map((p) => p.name);
      expect(matching, file).toEqual([preset, ...(overlaps[file] ?? [])]);
    }
  });

  it('reads a Data Loader header in upper case', () => {
    const m = detectMapping('ID,ACCOUNTID,FIRSTNAME,LASTNAME,EMAIL,PHONE,MOBILEPHONE,OWNERID'.split(','));
    expect(m.preset).toBe('Salesforce export (API names)');
    expect(mappingToSpec(m)).toEqual({ name: { join: ['FIRSTNAME', 'LASTNAME'] }, email: 'EMAIL', phone_number: ['MOBILEPHONE', 'PHONE'], identifier: 'ID' });
  });

  it('reads the Data Loader export the issue describes', () => {
    const m = detectMapping('Id,FirstName,LastName,Email,Phone,MobilePhone'.split(','));
    expect(m.preset).toBe('Salesforce export (API names)');
    expect(mappingToSpec(m)).toEqual({ name: { join: ['FirstName', 'LastName'] }, email: 'Email', phone_number: ['MobilePhone', 'Phone'], identifier: 'Id' });
  });

  it('never takes another record\'s ID for the identifier, even without the record\'s own ID column', () => {
    const sf = detectMapping('AccountId,OwnerId,FirstName,LastName,Email,ReportsToId'.split(','));
    expect(sf.fields.identifier).toBeUndefined();
    const hubspot = detectMapping(['Record ID - Company', 'Email', 'Phone Number', 'Associated Company IDs']);
    expect(hubspot.fields.identifier).toBeUndefined();
  });

  it('adds generic candidates after the preset\'s own', () => {
    const m = detectMapping('Record ID,First Name,Last Name,Email,Work Email,Phone Number,WhatsApp'.split(','));
    expect(m.preset).toBe('HubSpot export');
    expect(mappingToSpec(m)).toMatchObject({ email: ['Email', 'Work Email'], phone_number: ['Phone Number', 'WhatsApp'] });
  });

  it('leaves headers of no known product to the generic aliases', () => {
    for (const line of ['Contact ID,First Name,Last Name,Email,Mobile Phone,Company,Notes', 'ID,Name,Email,Mobile Phone,Photo URL', 'Name,Email,Phone Number']) {
      const m: ResolvedMapping = detectMapping(line.split(','));
      expect(m.preset, line).toBeUndefined();
    }
    expect(mappingToSpec(detectMapping('ID,Name,Email,Mobile Phone,Photo URL'.split(',')))).toEqual({
      name: 'Name',
      email: 'Email',
      phone_number: 'Mobile Phone',
      avatar_url: 'Photo URL',
      identifier: 'ID',
    });
  });
});

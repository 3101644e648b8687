// Issue 15, the second round of real exports: LinkedIn, Shopify (both shapes), Pipedrive's other
// spellings, Intercom, Chatwoot's contacts export, Dynamics 365, Freshdesk and Zendesk are each
// recognised, their columns feed the right fields, and what is read but never sent (the name of a
// row without a person name, the phone's country, Zendesk's role) is found, shown and saved.
// Fixtures: fixtures/presets/ (header-first, as the map stage sees them once the source has read
// past a preamble); the user-facing samples with every quirk are in samples/exports/ (cli-exports).
import { readFileSync, readdirSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import {
  MapStage,
  PRESETS,
  describeMapping,
  detectMapping,
  mapRow,
  mappingReport,
  mappingToSpec,
  normalizeHeaderName,
  resolveMappingSpec,
  type MappingSpec,
  type Validation,
} from '../src/map/index.js';
import { emptySummary, formatSummary } from '../src/sinks/summary.js';

function fixture(file: string): { header: string[]; rows: string[][] } {
  const [header, ...rows] = parse(readFileSync(new URL(`../fixtures/presets/${file}`, import.meta.url)), { bom: true }) as string[][];
  return { header: header!, rows };
}

const names = (header: readonly string[], columns: readonly number[] | undefined): string[] => (columns ?? []).map((i) => header[i]!);

interface Case {
  file: string;
  preset: string;
  spec: MappingSpec;
  /** Columns that look like a field but must feed nothing (other records' IDs, checksums, job titles). */
  notMapped: string[];
  contacts: Validation[];
}

const CASES: Case[] = [
  {
    file: 'linkedin.csv',
    preset: 'LinkedIn connections export',
    spec: { name: { join: ['First Name', 'Last Name'] }, name_fallback: ['Company'], email: 'Email Address', identifier: 'URL' },
    notMapped: ['Position', 'Connected On'],
    contacts: [
      { ok: true, contact: { name: 'Priya Raman', email: 'priya.raman@example.com', identifier: 'https://www.linkedin.com/in/priya-raman-0a1b2c' } },
      // Most connections do not share their address: the profile URL still keys the contact.
      { ok: true, contact: { name: 'Jonas Berg', identifier: 'https://www.linkedin.com/in/jonasberg' } },
    ],
  },
  {
    file: 'shopify.csv',
    preset: 'Shopify customers export',
    spec: {
      name: { join: ['First Name', 'Last Name'] },
      name_fallback: ['Default Address Company'],
      email: 'Email',
      phone_number: ['Phone', 'Default Address Phone'],
      phone_country: 'Default Address Country Code',
      identifier: 'Customer ID',
    },
    notMapped: ['Default Address Zip', 'Total Spent', 'Accepts SMS Marketing', 'Note'],
    contacts: [
      { ok: true, contact: { name: 'Ava Thompson', email: 'ava.thompson@example.com', phone_number: '+14155550150', identifier: '7262148483266' } },
      // A wholesale account with no person: named after its company, reached on the address's phone.
      { ok: true, contact: { name: 'Moreau SARL', phone_number: '+33199001236', identifier: '7262148483267' } },
    ],
  },
  {
    file: 'shopify-legacy.csv',
    preset: 'Shopify customers export',
    spec: {
      name: { join: ['First Name', 'Last Name'] },
      name_fallback: ['Company'],
      email: 'Email',
      phone_number: 'Phone',
      phone_country: ['Country Code', 'Country'],
    },
    notMapped: ['Province Code', 'Zip', 'Accepts Marketing', 'Total Orders'],
    contacts: [
      { ok: true, contact: { name: 'Ava Thompson', email: 'ava.thompson@example.com', phone_number: '+14155550150' } },
      { ok: true, contact: { name: 'Lucas Moreau', email: 'lucas.moreau@example.fr', phone_number: '+33199001236' } },
    ],
  },
  {
    file: 'pipedrive-organisation.csv',
    preset: 'Pipedrive export',
    spec: {
      name: 'Person - Name',
      name_fallback: ['Person - Organisation'],
      email: ['Person - Email - Work', 'Person - Email - Home', 'Person - Email - Other'],
      phone_number: ['Person - Phone 1', 'Person - Phone 2', 'Person - Phone 3'],
      identifier: 'Person - ID',
    },
    notMapped: ['Person - Label', 'Person - Owner'],
    contacts: [
      { ok: true, contact: { name: 'Giulia Bianchi', email: 'giulia@bianchi.example.it', phone_number: '+393123456789', identifier: '2051' } },
      { ok: true, contact: { name: 'Harbour Freight Ltd', phone_number: '+442079460177', identifier: '2052' } },
    ],
  },
  {
    file: 'intercom.csv',
    preset: 'Intercom users export',
    spec: {
      name: 'Name',
      name_fallback: ['Company name'],
      email: 'Email',
      // The standard Phone first; the workspace's custom attribute `phone_number` only after it.
      phone_number: ['Phone', 'phone_number'],
      phone_country: 'Country',
      identifier: 'User ID',
    },
    notMapped: ['First name', 'Last name', 'Company ID', 'Region', 'plan'],
    contacts: [
      { ok: true, contact: { name: 'Maya Cohen', email: 'maya.cohen@example.com', phone_number: '+12125550123', identifier: 'usr_8f2k1' } },
      { ok: true, contact: { name: 'Tomás Silva', email: 'tomas.silva@example.com.br', phone_number: '+5511987654321', identifier: 'usr_8f2k2' } },
    ],
  },
  {
    file: 'chatwoot-export.csv',
    preset: 'Chatwoot contacts export',
    // Chatwoot's own `id` is its row number in the old account: never the identifier.
    spec: { name: 'name', email: 'email', phone_number: 'phone_number' },
    notMapped: ['id'],
    contacts: [
      { ok: true, contact: { name: 'Clara Uzzell', email: 'clara.uzzell@example.org', phone_number: '+15417543012' } },
      { ok: true, contact: { name: 'Mario Creegan', email: 'mario.creegan@example.edu', phone_number: '+15417543013' } },
    ],
  },
  {
    file: 'dynamics.csv',
    preset: 'Dynamics 365 export',
    spec: {
      name: 'Full Name',
      name_fallback: ['Company Name'],
      email: 'Email',
      phone_number: ['Mobile Phone', 'Business Phone'],
      identifier: '(Do Not Modify) Contact',
    },
    notMapped: ['(Do Not Modify) Row Checksum', '(Do Not Modify) Modified On'],
    contacts: [
      {
        ok: true,
        contact: { name: 'Nora Lindqvist', email: 'nora.lindqvist@example.se', phone_number: '+46701234567', identifier: '6f1c2a3b-4d5e-ef11-a81c-000d3a1b2c3d' },
      },
      { ok: true, contact: { name: 'Fabrikam Inc', phone_number: '+14255550100', identifier: '7a2d3b4c-5e6f-ef11-a81c-000d3a1b2c3e' } },
    ],
  },
  {
    file: 'freshdesk.csv',
    preset: 'Freshdesk contacts export',
    spec: { name: 'Full name', name_fallback: ['Company'], email: 'Email', phone_number: ['Mobile phone', 'Work phone'], identifier: 'Unique external ID' },
    notMapped: ['Title', 'Twitter', 'Time zone', 'About'],
    contacts: [
      { ok: true, contact: { name: 'Aoife Byrne', email: 'aoife.byrne@example.ie', phone_number: '+353861234567', identifier: 'CUST-40012' } },
      { ok: true, contact: { name: 'Lars Meyer', email: 'lars.meyer@example.de', phone_number: '+4930901820', identifier: 'CUST-40013' } },
    ],
  },
  {
    file: 'zendesk.csv',
    preset: 'Zendesk users export',
    spec: {
      name: 'name',
      name_fallback: ['alias'],
      email: 'email',
      phone_number: 'phone',
      avatar_url: 'photo',
      identifier: 'external_id',
      role: 'role',
    },
    notMapped: ['id', 'url', 'organization_id', 'shared_phone_number', 'custom_role_id', 'default_group_id', 'signature', 'locale_id'],
    contacts: [
      {
        ok: true,
        contact: {
          name: 'Johnny Agent',
          email: 'johnny.agent@example.com',
          phone_number: '+4530123456',
          avatar_url: 'https://example.zendesk.com/system/photos/3604/johnny.png',
          identifier: 'sai989sur98w9',
        },
      },
      { ok: true, contact: { name: 'Sofia Alves', email: 'sofia.alves@example.pt', phone_number: '+351912345678', identifier: 'CRM-88120' } },
    ],
  },
];

describe.each(CASES)('$file', ({ file, preset, spec, notMapped, contacts }) => {
  const { header, rows } = fixture(file);
  const m = detectMapping(header);
  const ignored = m.ignored.map((i) => header[i]);

  it(`is recognised as ${preset}, and its columns feed the right fields`, () => {
    expect(m.preset).toBe(preset);
    expect(mappingToSpec(m)).toEqual(spec);
    for (const column of notMapped) expect(ignored, column).toContain(column);
  });

  it('gives the expected contacts', () => {
    expect(rows.map((r) => mapRow(r, m, {}))).toEqual(contacts);
  });

  it('maps the same way through `mapping FILE` and --mapping, the columns read but not sent included', () => {
    const back = resolveMappingSpec(JSON.parse(mappingReport(m)), header, 'saved.json');
    expect(back.fields).toEqual(m.fields);
    expect(back.nameFallback).toEqual(m.nameFallback);
    expect(back.country).toEqual(m.country);
    expect(back.role).toEqual(m.role);
    expect(back.ignored).toEqual(m.ignored);
    expect(mappingToSpec(back)).toEqual(spec);
  });
});

describe('the new presets', () => {
  it('each fixture matches its own preset, and no other but where the order settles it', () => {
    // Chatwoot's export writes LiveDesk's own names (LiveDesk is Chatwoot underneath): the
    // Chatwoot preset comes first and keeps `id` out.
    const overlaps: Record<string, string[]> = { 'chatwoot-export.csv': ['LiveDesk field names'] };
    for (const { file, preset } of CASES) {
      const { header } = fixture(file);
      const found = new Set(header.map(normalizeHeaderName));
      expect(PRESETS.filter((p) => p.matches(found, header)).map((p) => p.name), file).toEqual([preset, ...(overlaps[file] ?? [])]);
    }
  });

  it('reads Pipedrive\'s numbered phone columns in order, up to Phone 10', () => {
    const phones = Array.from({ length: 10 }, (_, i) => `Person - Phone ${i + 1}`);
    const m = detectMapping(['Person - Name', 'Person - Email', ...phones.slice().reverse()]);
    expect(m.preset).toBe('Pipedrive export');
    // Header order within one rank: as the export writes them.
    expect(names(m.header, m.fields.phone_number?.columns)).toEqual(phones.slice().reverse());
    const british = detectMapping(['Person - Name', 'Person - Organisation', 'Person - Email - Work']);
    expect(british.preset).toBe('Pipedrive export');
    expect(names(british.header, british.nameFallback)).toEqual(['Person - Organisation']);
  });

  it('takes a Dynamics 365 lead view\'s GUID too, and never another (Do Not Modify) column', () => {
    const lead = detectMapping(['(Do Not Modify) Lead', '(Do Not Modify) Row Checksum', '(Do Not Modify) Modified On', 'Name', 'Email', 'Company Name', 'Business Phone']);
    expect(lead.preset).toBe('Dynamics 365 export');
    expect(mappingToSpec(lead)).toMatchObject({ name: 'Name', identifier: '(Do Not Modify) Lead', phone_number: 'Business Phone' });
    // A view of another entity: its GUID is not a contact's, and the checksum never an ID.
    const account = detectMapping(['(Do Not Modify) Account', '(Do Not Modify) Row Checksum', '(Do Not Modify) Modified On', 'Account Name', 'Main Phone', 'Email']);
    expect(account.fields.identifier).toBeUndefined();
    expect(names(account.header, account.ignored)).toEqual(['(Do Not Modify) Account', '(Do Not Modify) Row Checksum', '(Do Not Modify) Modified On']);
  });

  it('never takes Chatwoot\'s `id` for the identifier, but an `identifier` column when the export has one', () => {
    const m = detectMapping(['id', 'name', 'email', 'phone_number', 'identifier', 'company_name']);
    // With `identifier` and `company_name` it is also the shape of Chatwoot's import sample: the same mapping.
    expect(m.preset).toMatch(/^Chatwoot contact/);
    expect(mappingToSpec(m)).toEqual({ name: 'name', name_fallback: ['company_name'], email: 'email', phone_number: 'phone_number', identifier: 'identifier' });
  });
});

describe('"LiveDesk field names" is detected only for a header written in them', () => {
  const livedesk = (header: string[]): string | undefined => detectMapping(header).preset;

  it('not for Intercom, whose custom attribute is called phone_number: its standard Phone outranks it', () => {
    const header = ['Name', 'Email', 'Phone', 'User ID', 'Signed up (UTC)', 'phone_number'];
    const m = detectMapping(header);
    expect(m.preset).toBe('Intercom users export');
    expect(names(header, m.fields.phone_number?.columns)).toEqual(['Phone', 'phone_number']);
  });

  it('not for any header with one such custom column beside its own contact columns', () => {
    for (const header of [
      ['Name', 'Email', 'phone_number'],
      ['name', 'email', 'phone', 'phone_number'],
      ['Full Name', 'E-mail', 'Mobile', 'avatar_url'],
      ['name', 'phone_number'],
    ]) {
      expect(livedesk(header), header.join(',')).toBeUndefined();
    }
    // The generic aliases still read it, after the standard columns.
    const m = detectMapping(['Name', 'Email', 'Mobile', 'phone_number']);
    expect(names(m.header, m.fields.phone_number?.columns)).toEqual(['Mobile', 'phone_number']);
  });

  it('still for the API\'s names, and for this importer\'s results file', () => {
    expect(livedesk(['name', 'email', 'phone_number', 'avatar_url', 'identifier'])).toBe('LiveDesk field names');
    expect(livedesk(['name', 'email', 'phone_number'])).toBe('LiveDesk field names');
    const results = detectMapping(['row', 'outcome', 'contact_id', 'name', 'email', 'phone_number', 'identifier', 'note']);
    expect(results.preset).toBe('LiveDesk field names');
    expect(results.fields.identifier?.columns).toEqual([6]);
  });
});

describe('names as people have them: a row without a person name', () => {
  it('takes the company column the header has, then a nickname', () => {
    const cases: [string[], string[]][] = [
      [['First Name', 'Last Name', 'Email', 'Organization Name', 'Nickname'], ['Organization Name', 'Nickname']],
      [['Name', 'Email', 'File As'], ['File As']],
      [['Name', 'Email', 'Company'], ['Company']],
      [['First Name', 'Email', 'Default Address Company'], ['Default Address Company']],
      [['Name', 'Email', 'Nickname', 'Organization 1 - Name'], ['Organization 1 - Name', 'Nickname']],
    ];
    for (const [header, expected] of cases) expect(names(header, detectMapping(header).nameFallback), header.join(',')).toEqual(expected);
  });

  it('gives the name to mapRow when the name columns are empty, never when they are not', () => {
    const header = ['First Name', 'Last Name', 'Email', 'Company', 'Nickname'];
    const m = detectMapping(header);
    expect(mapRow(['', '', 'ops@globex.example.com', 'Globex Corporation', 'Globby'], m, {})).toEqual({
      ok: true,
      contact: { name: 'Globex Corporation', email: 'ops@globex.example.com' },
    });
    expect(mapRow(['', '', 'ops@globex.example.com', '', 'Globby'], m, {})).toMatchObject({ ok: true, contact: { name: 'Globby' } });
    expect(mapRow(['Ada', '', 'ada@example.com', 'Globex Corporation', ''], m, {})).toMatchObject({ ok: true, contact: { name: 'Ada' } });
  });

  it('is shown under the name and saved as name_fallback', () => {
    const m = detectMapping(['First Name', 'Last Name', 'Email', 'Company', 'Nickname', 'Notes']);
    expect(describeMapping(m).slice(0, 3)).toEqual([
      '  name          ← "First Name" + "Last Name"',
      '                  without a person name: "Company", then "Nickname"',
      '  email         ← "Email"',
    ]);
    expect(describeMapping(m).at(-1)).toBe('  ignored: "Notes"');
    expect(mappingToSpec(m)).toEqual({ name: { join: ['First Name', 'Last Name'] }, name_fallback: ['Company', 'Nickname'], email: 'Email' });
  });
});

describe('the country a row\'s phone numbers are read in', () => {
  const country = (header: string[]): string[] => names(header, detectMapping(header).country?.columns);

  it('comes from each export\'s own country column', () => {
    expect(country(['Customer ID', 'Email', 'Phone', 'Default Address Country Code', 'Total Spent', 'Total Orders', 'Tax Exempt'])).toEqual(['Default Address Country Code']);
    expect(country(['First Name', 'Email', 'Phone', 'Country', 'Country Code', 'Total Spent', 'Total Orders', 'Accepts Marketing'])).toEqual(['Country Code', 'Country']);
    expect(country(['Email Address', 'Phone Number', 'MEMBER_RATING', 'LEID', 'EUID', 'CC', 'REGION'])).toEqual(['CC']);
    expect(country(['Record ID', 'Email', 'Phone Number', 'Create Date', 'Country/Region'])).toEqual(['Country/Region']);
    expect(country(['First Name', 'E-mail Address', 'E-mail Type', 'Mobile Phone', 'Home Country/Region', 'Business Country/Region'])).toEqual([
      'Business Country/Region',
      'Home Country/Region',
    ]);
    expect(country(['Record Id', 'Email', 'Mobile', 'Mailing Country', 'Modified Time'])).toEqual(['Mailing Country']);
  });

  it('or from a generic Country or Country Code column, the code first', () => {
    expect(country(['Name', 'Phone', 'Country'])).toEqual(['Country']);
    expect(country(['Name', 'Phone', 'Country', 'Country Code'])).toEqual(['Country Code', 'Country']);
    expect(country(['Name', 'Phone', 'Address 1 - Country'])).toEqual(['Address 1 - Country']);
    expect(country(['Name', 'Phone', 'Country of birth'])).toEqual([]);
  });

  it('is shown under the phone, never ignored, and saved as phone_country', () => {
    const m = detectMapping(['Name', 'Phone', 'Country Code', 'Notes']);
    expect(describeMapping(m)).toContain('                  national numbers read in the country of "Country Code", before --default-country');
    expect(names(m.header, m.ignored)).toEqual(['Notes']);
    expect(mappingToSpec(m)).toEqual({ name: 'Name', phone_number: 'Phone', phone_country: 'Country Code' });
  });
});

describe('mapping files: name_fallback, phone_country and role', () => {
  const header = ['Full Name', 'E-mail', 'Mobile', 'Company', 'Nickname', 'Country', 'Role', 'Notes'];

  it('are read, kept out of the ignored columns, and written back the same', () => {
    const spec = { name: 'Full Name', name_fallback: ['Company', 'Nickname'], email: 'E-mail', phone_number: 'Mobile', phone_country: 'Country', role: 'Role' };
    const m = resolveMappingSpec(spec, header, 'map.json');
    expect(m.nameFallback).toEqual([3, 4]);
    expect(m.country).toEqual({ kind: 'columns', columns: [5] });
    expect(m.role).toBe(6);
    expect(names(header, m.ignored)).toEqual(['Notes']);
    expect(mappingToSpec(m)).toEqual(spec);
    // A single column is accepted where a list is.
    expect(resolveMappingSpec({ name: 'Full Name', name_fallback: 'Company', phone_country: ['Country'] }, header, 'm.json')).toMatchObject({
      nameFallback: [3],
      country: { kind: 'columns', columns: [5] },
    });
  });

  it('refuse a wrong value, naming the key', () => {
    const fail = (spec: Record<string, unknown>): string => {
      try {
        resolveMappingSpec(spec, header, 'map.json');
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(fail({ name: 'Full Name', name_fallback: [] })).toBe('mapping file "map.json": "name_fallback": the list of columns is empty; give at least one column name, or remove the key');
    expect(fail({ name: 'Full Name', phone_country: 3 })).toMatch(/^mapping file "map\.json": "phone_country": 3 is a number; give a column name or a list/);
    expect(fail({ name: 'Full Name', role: ['Role'] })).toMatch(/^mapping file "map\.json": "role": give the one column holding the user's role/);
    expect(fail({ name: 'Full Name', phone_country: 'Land' })).toMatch(/^mapping file "map\.json": "phone_country": column "Land" is not in the CSV header/);
    // "country" alone is the usual slip: the key is named for what it does.
    expect(fail({ name: 'Full Name', country: 'Country' })).toMatch(/unknown field "country" \(did you mean "phone_country"\?\)/);
  });

  it('do not count as a field: a file mapping only them maps nothing', () => {
    expect(() => resolveMappingSpec({ name_fallback: 'Company' }, header, 'map.json')).toThrow(/maps no fields/);
  });
});

describe('Zendesk roles: agent and admin rows are counted', () => {
  const { header, rows } = fixture('zendesk.csv');
  const m = detectMapping(header);

  it('by the map stage, once per row, a resumed run\'s earlier rows included', () => {
    const roleAt = header.indexOf('role');
    const row = (n: number, role: string): string[] => rows[1]!.map((v, i) => (i === roleAt ? role : i === header.indexOf('external_id') ? `X-${n}` : i === header.indexOf('email') ? `u${n}@example.com` : v));
    const stage = new MapStage({ mapping: m, options: {}, restoreFormulas: false, done: { has: (r) => r === 1 } });
    const records = [row(1, 'admin'), row(2, 'end-user'), row(3, 'Agent'), row(4, ''), row(5, 'agent ')].map((values, i) => ({ kind: 'record' as const, row: i + 1, line: i + 2, values }));
    for (const r of records) stage.decide(r);
    expect(stage.staffRows).toBe(3);
  });

  it('in one line of the summary, only when there are some', () => {
    const s = emptySummary(true, 'x.failures.csv');
    expect(formatSummary(s)).not.toMatch(/role agent/);
    s.staffRows = 3;
    expect(formatSummary(s)).toContain('3 rows have role agent or admin (the exporting product\'s staff, not customers): imported as contacts like the others.');
  });

  it('only where a preset knows the column holds the product\'s roles (elsewhere "Role" is a job title)', () => {
    expect(detectMapping(['Name', 'Email', 'Role']).role).toBeUndefined();
    expect(describeMapping(m)).toContain('  role          ← "role" (not sent: agent and admin rows are counted in the summary)');
  });
});

describe('samples/exports, row by row through the map stage (--default-country US)', () => {
  /** The sample's header and rows, past LinkedIn's preamble and before a Salesforce report's footer (the source's part, tested in cli-exports). */
  function sample(file: string): { header: string[]; rows: string[][] } {
    let lines = readFileSync(new URL(`../samples/exports/${file}`, import.meta.url), 'utf8').split('\n');
    if (lines[0] === 'Notes:') lines = lines.slice(lines.indexOf('') + 1);
    const footer = lines.indexOf('');
    if (footer !== -1 && footer < lines.length - 1) lines = lines.slice(0, footer);
    const [header, ...rows] = parse(lines.join('\n'), { bom: true }) as string[][];
    return { header: header!, rows };
  }
  const contacts = (file: string): Validation[] => {
    const { header, rows } = sample(file);
    const m = detectMapping(header);
    return rows.map((r) => mapRow(r, m, { defaultCountry: 'US' }));
  };
  const files = readdirSync(new URL('../samples/exports/', import.meta.url)).filter((f) => f.endsWith('.csv'));

  it.each(files)('%s: every row is a valid contact', (file) => {
    const failed = contacts(file).flatMap((v, i) => (v.ok ? [] : [`row ${i + 1}: ${v.code} ${v.message}`]));
    expect(failed).toEqual([]);
  });

  it('takes each quirk\'s person whole: the right value of each cell', () => {
    const shopify = contacts('shopify-customers.csv');
    // `'7262148483266`, `'+14155550150`: Shopify's text guard is not part of the value.
    expect(shopify[0]).toEqual({ ok: true, contact: { name: 'Ava Thompson', email: 'ava.thompson@example.com', phone_number: '+14155550150', identifier: '7262148483266' } });
    // A French number written the French way, on a row whose country is FR.
    expect(shopify[1]).toMatchObject({ ok: true, contact: { name: 'Lucas Moreau', phone_number: '+33199001236' } });
    expect(shopify[4]).toMatchObject({ ok: true, contact: { name: 'Blue Bottle Bakery', phone_number: '+16175550142' } });
    const pipedrive = contacts('pipedrive-people.csv');
    expect(pipedrive[0]).toMatchObject({ ok: true, contact: { email: 'giulia@bianchi.example.it', phone_number: '+393123456789' } });
    expect(pipedrive[3]).toMatchObject({ ok: true, contact: { name: 'Harbour Freight Ltd', phone_number: '+442079460177' } });
    expect(pipedrive[4]).toMatchObject({ ok: true, contact: { email: 'sven@fjord.example.no' } });
    const dynamics = contacts('dynamics-contacts.csv');
    expect(dynamics[1]).toMatchObject({ ok: true, contact: { name: 'Yvonne McKay', phone_number: '+14255550100' } });
    expect(dynamics[2]).toMatchObject({ ok: true, contact: { name: 'Adventure Works', phone_number: '+12065550119' } });
    const freshdesk = contacts('freshdesk-contacts.csv');
    expect(freshdesk[1]).toMatchObject({ ok: true, contact: { phone_number: '+4915112345678', identifier: 'CUST-40013' } });
    expect(freshdesk[3]).toMatchObject({ ok: true, contact: { phone_number: '+46701234567' } });
    const intercom = contacts('intercom-users.csv');
    expect(intercom[0]).toMatchObject({ ok: true, contact: { phone_number: '+12125550123' } });
    expect(intercom[1]).toMatchObject({ ok: true, contact: { phone_number: '+5511987654321' } });
    expect(contacts('linkedin-connections.csv')[5]).toEqual({ ok: true, contact: { identifier: 'https://www.linkedin.com/in/ACoAAB1x2y3z' } });
    expect(contacts('chatwoot-contacts.csv').map((v) => v.contact.identifier)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});

describe('Zendesk is recognised by the API\'s own spelling only', () => {
  it('not for a CRM export with an "External ID" and a job "Role"', () => {
    const m = detectMapping(['External ID', 'Name', 'Email', 'Role', 'Time Zone', 'Organization ID']);
    expect(m.preset).toBeUndefined();
    expect(m.role).toBeUndefined();
    expect(mappingToSpec(m)).toMatchObject({ name: 'Name', email: 'Email', identifier: 'External ID' });
  });
});

// The standard contact exports of the products people migrate from. A preset recognises its
// product by columns that only that product writes, then says which of its columns feed which
// LiveDesk field, in what order of preference, and which must never feed one (a CRM's account,
// owner or company IDs look like record IDs to the generic aliases). Fields a preset finds no
// column for fall back to the generic aliases, so a custom column in a known export still maps.
//
// Every name below was read in the product's documentation or in real export headers quoted in
// public code; the source is given above each preset. Names are matched like every header name:
// case, spaces, accents and punctuation do not matter (`E-mail 1 - Value` = `Email 1 Value`).

import { normalizeHeaderName } from './names.js';

/**
 * Ranks a normalized header name against a list: its position in the list (lower is preferred),
 * or undefined when it is not in the list. Columns of equal rank keep header order.
 */
export type Matcher = (normalizedName: string) => number | undefined;

/** A header name as the product writes it, or a pattern on normalized names for numbered columns. */
type Name = string | RegExp;
/**
 * For signatures only: a pattern on the header name as written (trimmed). Salesforce's API names
 * (`MobilePhone`, `PhotoUrl`) normalize like ordinary labels (`Mobile Phone`, `Photo URL`); only
 * their spelling, without spaces, tells them apart.
 */
interface Raw {
  raw: RegExp;
}

interface PresetSpec {
  /** Shown to the user: "detected from the header (HubSpot export)". */
  name: string;
  /** The header is this product's when, for one of the signatures, every group has a column. */
  signatures: readonly (readonly (readonly (Name | Raw)[])[])[];
  fullName?: readonly Name[];
  first?: readonly Name[];
  middle?: readonly Name[];
  last?: readonly Name[];
  email?: readonly Name[];
  phone?: readonly Name[];
  avatar?: readonly Name[];
  identifier?: readonly Name[];
  /** Columns that never feed a field, not even through the generic aliases. */
  never?: readonly Name[];
}

export interface Preset {
  readonly name: string;
  /** `names`: the header's normalized names; `raw`: the names as written. */
  matches(names: ReadonlySet<string>, raw: readonly string[]): boolean;
  readonly fullName?: Matcher;
  readonly first?: Matcher;
  readonly middle?: Matcher;
  readonly last?: Matcher;
  readonly email?: Matcher;
  readonly phone?: Matcher;
  readonly avatar?: Matcher;
  readonly identifier?: Matcher;
  readonly never?: Matcher;
}

/** Compiles a list once, at load: exact names become a Map lookup, patterns are tried in order. */
export function nameMatcher(list: readonly Name[]): Matcher {
  const exact = new Map<string, number>();
  const patterns: [RegExp, number][] = [];
  list.forEach((entry, rank) => {
    if (typeof entry === 'string') {
      const n = normalizeHeaderName(entry);
      if (!exact.has(n)) exact.set(n, rank);
    } else {
      patterns.push([entry, rank]);
    }
  });
  return (n) => {
    let best = exact.get(n);
    for (const [re, rank] of patterns) if ((best === undefined || rank < best) && re.test(n)) best = rank;
    return best;
  };
}

type GroupTest = (names: ReadonlySet<string>, raw: readonly string[]) => boolean;

function groupTest(group: readonly (Name | Raw)[]): GroupTest {
  const names = nameMatcher(group.filter((g): g is Name => typeof g === 'string' || g instanceof RegExp));
  const raws = group.filter((g): g is Raw => typeof g === 'object' && 'raw' in g).map((g) => g.raw);
  return (normalized, raw) => {
    for (const n of normalized) if (names(n) !== undefined) return true;
    return raws.length > 0 && raw.some((r) => raws.some((re) => re.test(r.trim())));
  };
}

function compile(spec: PresetSpec): Preset {
  const signatures = spec.signatures.map((groups) => groups.map(groupTest));
  const m = (list: readonly Name[] | undefined): Matcher | undefined => (list === undefined ? undefined : nameMatcher(list));
  return {
    name: spec.name,
    matches(names, raw) {
      return signatures.some((groups) => groups.every((test) => test(names, raw)));
    },
    fullName: m(spec.fullName),
    first: m(spec.first),
    middle: m(spec.middle),
    last: m(spec.last),
    email: m(spec.email),
    phone: m(spec.phone),
    avatar: m(spec.avatar),
    identifier: m(spec.identifier),
    never: m(spec.never),
  };
}

// Google Contacts, both export formats.
// Current ("Google CSV", 2020 on): `First Name,Middle Name,Last Name,Phonetic First Name,Phonetic
// Middle Name,Phonetic Last Name,Name Prefix,Name Suffix,Nickname,File As,Organization Name,
// Organization Title,Organization Department,Birthday,Notes,Photo,Labels,E-mail 1 - Label,E-mail 1
// - Value,E-mail 2 - Label,E-mail 2 - Value,Phone 1 - Label,Phone 1 - Value,Address 1 - Label,...`
// — the export's first line as checked by public import code (e.g. a validator comparing an
// upload's first line with it; sohamb117/ContactExtractor add-in/src/taskpane/api/consts.js
// spells it `Email 1 - Label`).
// Older: `Name,Given Name,Additional Name,Family Name,Yomi Name,...,Notes,Language,Photo,Group
// Membership,E-mail 1 - Type,E-mail 1 - Value,Phone 1 - Type,Phone 1 - Value,...`, written by many
// public "export as Google CSV" tools. Several values in one cell are joined with ` ::: `.
// The `- Label`/`- Type` columns hold words such as "Mobile" or "* myContacts": never values.
const GOOGLE: PresetSpec = {
  name: 'Google Contacts export',
  signatures: [[[/^(?:email|phone)\d+value$/], [/^(?:email|phone)\d+(?:label|type)$/]]],
  fullName: ['Name'],
  first: ['First Name', 'Given Name'],
  middle: ['Middle Name', 'Additional Name'],
  last: ['Last Name', 'Family Name'],
  email: [/^email\d+value$/],
  phone: [/^phone\d+value$/],
  avatar: ['Photo'],
  never: [/^(?:email|phone|address|website|relation|event|im|customfield|organization)\d+(?:label|type)$/, 'Labels', 'Group Membership'],
};

// Outlook (classic desktop "Export to a file" → CSV). Header as listed by Microsoft's "Create or
// edit .csv files to import into Outlook" (support.microsoft.com, article 4518d70d-8fe9-46ad-94fa-
// 1494247193c7), quoted in public scripts: `Title,First Name,Middle Name,Last Name,Suffix,Company,
// ...,Business Fax,Business Phone,Business Phone 2,Callback,Car Phone,Company Main Phone,Home Fax,
// Home Phone,Home Phone 2,ISDN,Mobile Phone,Other Fax,Other Phone,Pager,Primary Phone,Radio Phone,
// TTY/TDD Phone,Telex,...,E-mail Address,E-mail Type,E-mail Display Name,E-mail 2 Address,E-mail 2
// Type,E-mail 2 Display Name,E-mail 3 Address,...`. `Title` is the salutation (Mr., Dr.), not a
// name. An Exchange contact's `E-mail Address` can be an X.500 path (`/o=ExchangeLabs/...`) with
// `E-mail Type` = EX: it fails as an email and the next address is tried.
const OUTLOOK: PresetSpec = {
  name: 'Outlook export',
  signatures: [
    [
      ['E-mail Address', 'E-mail 2 Address', 'Mobile Phone', 'Business Phone', 'Home Phone'],
      ['E-mail Type', 'E-mail Display Name', 'E-mail 2 Address', 'E-mail 3 Address', 'Business Fax', 'Home Fax', 'TTY/TDD Phone', 'Company Main Phone', 'Radio Phone'],
    ],
  ],
  first: ['First Name'],
  middle: ['Middle Name'],
  last: ['Last Name'],
  email: ['E-mail Address', 'E-mail 2 Address', 'E-mail 3 Address'],
  phone: ['Mobile Phone', 'Primary Phone', 'Business Phone', 'Business Phone 2', 'Home Phone', 'Home Phone 2', 'Other Phone'],
  // The company's switchboard and an assistant's line reach someone else.
  never: ['Company Main Phone', "Assistant's Phone", 'Business Fax', 'Home Fax', 'Other Fax', 'Pager', 'Callback', 'Car Phone', 'Radio Phone', 'TTY/TDD Phone', 'Telex', 'ISDN', 'Title'],
};

// HubSpot (Contacts → Export). Export headers quoted in public code: `"Record ID","First Name",
// "Last Name","Email","Phone Number","Contact owner","Primary Associated Company ID","Last Activity
// Date","Lead Status","Marketing contact status","Create Date","Associated Company"` and
// `"Record ID","First Name","Last Name","Mobile Phone Number",...` (property labels "Phone number",
// "Mobile phone number", "Lifecycle stage": knowledge.hubspot.com, importing contacts). Exports that
// include associations add `Record ID - Company` and `Associated Company IDs`.
const HUBSPOT: PresetSpec = {
  name: 'HubSpot export',
  signatures: [
    [
      ['Record ID'],
      ['Phone Number', 'Mobile Phone Number', 'Create Date', 'Lifecycle Stage', 'Marketing contact status', 'Last Activity Date', 'Associated Company', 'Primary Associated Company ID', 'Record ID - Company'],
    ],
  ],
  first: ['First Name'],
  last: ['Last Name'],
  email: ['Email'],
  phone: ['Mobile Phone Number', 'Phone Number'],
  identifier: ['Record ID'],
  never: ['Record ID - Company', 'Primary Associated Company ID', 'Associated Company IDs', 'Contact owner', 'Fax Number'],
};

// Zoho CRM (Contacts module export). Headers quoted by public importers of these exports:
// `"Record Id","Contact Owner.id","Contact Owner","Lead Source","First Name","Last Name","Account
// Name.id","Account Name","Vendor Name.id","Vendor Name","Email","Title","Department","Phone",
// "Mobile","Created By.id","Created By","Modified By.id","Modified By","Created Time","Modified
// Time","Contact Name","Description","Email Opt Out","Salutation",...`. Other standard field labels
// (Zoho's field metadata and forms in public code): Home Phone, Other Phone, Asst Phone, Secondary
// Email, Skype ID. Every `X.id` column is the ID of another record.
const ZOHO_MARKERS = ['Contact Owner.id', 'Account Name.id', 'Vendor Name.id', 'Created Time', 'Modified Time', 'Modified By.id', 'Last Activity Time', 'Secondary Email', 'Skype ID', 'Asst Phone'];
const ZOHO: PresetSpec = {
  name: 'Zoho CRM export',
  signatures: [
    // HubSpot writes `Record ID` and `Contact owner` too, but never a bare `Mobile`.
    [['Record Id'], [...ZOHO_MARKERS, 'Mobile']],
    [['Contact Id'], ZOHO_MARKERS],
  ],
  fullName: ['Full Name', 'Contact Name'],
  first: ['First Name'],
  last: ['Last Name'],
  email: ['Email', 'Secondary Email'],
  phone: ['Mobile', 'Phone', 'Home Phone', 'Other Phone'],
  identifier: ['Record Id', 'Contact Id'],
  never: ['Contact Owner.id', 'Account Name.id', 'Vendor Name.id', 'Created By.id', 'Modified By.id', 'Reporting To.id', 'Asst Phone', 'Fax', 'Skype ID'],
};

// Pipedrive. Exports that carry several entities prefix each column with it: `Person - Name`,
// `Person - First name`, `Person - Last name`, `Person - Email - Work`/`- Home`/`- Other`,
// `Person - Phone - Work`/`- Home`/`- Mobile`/`- Other`, `Person - Organization`, `Person - ID`,
// `Deal - ID`, ... (read by public scripts processing these exports); the People list export has
// the same names unprefixed: `ID, Name, First name, Last name, Email - Work, Email - Home, Email -
// Other, Phone - Work, Phone - Home, Phone - Mobile, Phone - Other, Organization, Organization ID`.
// A deals export repeats a person on each of their deals: duplicate_in_file catches the repeats.
const PIPEDRIVE: PresetSpec = {
  name: 'Pipedrive export',
  signatures: [
    [['Person - Name', 'Person - Email - Work', 'Person - Email', 'Person - Phone - Work', 'Person - Phone - Mobile', 'Person - ID', 'Person - First name']],
    [['Email - Work', 'Email - Home', 'Email - Other', 'Phone - Work', 'Phone - Mobile', 'Phone - Home']],
  ],
  fullName: ['Person - Name', 'Name'],
  first: ['Person - First name', 'First name'],
  last: ['Person - Last name', 'Last name'],
  email: ['Person - Email - Work', 'Person - Email - Home', 'Person - Email - Other', 'Person - Email', 'Email - Work', 'Email - Home', 'Email - Other', 'Email'],
  phone: ['Person - Phone - Mobile', 'Person - Phone - Work', 'Person - Phone - Home', 'Person - Phone - Other', 'Person - Phone', 'Phone - Mobile', 'Phone - Work', 'Phone - Home', 'Phone - Other', 'Phone'],
  identifier: ['Person - ID', 'ID'],
  never: ['Deal - ID', 'Organization - ID', 'Organization ID', 'Lead - ID', 'Person - Owner', 'Owner'],
};

// Mailchimp (Audience → Export audience; one CSV per status). Header quoted in public code that
// reads these exports: `"Email Address","First Name","Last Name",MEMBER_RATING,OPTIN_TIME,
// OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,
// LAST_CHANGED,LEID,EUID,NOTES` (merge fields such as Address, Phone Number, Birthday come before
// MEMBER_RATING; an audience may have one `Name` field instead of first/last). EUID is the
// member's unique email ID across Mailchimp ("unique_email_id"), stable between exports; LEID is
// the list-specific web ID.
const MAILCHIMP: PresetSpec = {
  name: 'Mailchimp audience export',
  signatures: [[['Email Address'], ['MEMBER_RATING', 'OPTIN_TIME', 'OPTIN_IP', 'CONFIRM_TIME', 'CONFIRM_IP', 'LAST_CHANGED', 'LEID', 'EUID']]],
  fullName: ['Name'],
  first: ['First Name'],
  last: ['Last Name'],
  email: ['Email Address'],
  phone: ['Phone Number', 'Phone'],
  identifier: ['EUID'],
  never: ['LEID', 'OPTIN_IP', 'CONFIRM_IP', 'CC', 'REGION'],
};

// Salesforce, API names (Data Loader and the weekly Data Export). Contact fields from the Object
// Reference (developer.salesforce.com, sforce_api_objects_contact) and a weekly-export Contact.csv
// header quoted in public code: `Id,IsDeleted,MasterRecordId,AccountId,LastName,FirstName,
// Salutation,Name,OtherStreet,...,MailingStreet,...,Phone,Fax,MobilePhone,HomePhone,OtherPhone,
// AssistantPhone,ReportsToId,Email,Title,Department,AssistantName,LeadSource,Birthdate,Description,
// OwnerId,HasOptedOutOfEmail,...,CreatedById,LastModifiedById,SystemModstamp,...,JigsawContactId`.
// `Name` is FirstName MiddleName LastName Suffix. Every other `...Id` is another record's ID.
// `PhotoUrl` is a path relative to the Salesforce instance, not a URL (mike4aday/SwiftlySalesforce
// issue 35): it would fail every row as invalid_avatar_url.
// Data Loader writes the API names in upper case (`FIRSTNAME`): the case does not matter, the
// missing spaces do.
const SALESFORCE_API_NAME =
  /^(?:FirstName|LastName|MiddleName|MobilePhone|HomePhone|OtherPhone|AccountId|OwnerId|IsDeleted|MasterRecordId|SystemModstamp|CreatedById|LastModifiedById|ReportsToId|HasOptedOutOfEmail|PhotoUrl|RecordTypeId|MailingStreet|MailingCity|LeadSource)$/i;
const SALESFORCE_API: PresetSpec = {
  name: 'Salesforce export (API names)',
  signatures: [[['Id'], [{ raw: SALESFORCE_API_NAME }]]],
  fullName: ['Name'],
  first: ['FirstName'],
  middle: ['MiddleName'],
  last: ['LastName'],
  email: ['Email'],
  phone: ['MobilePhone', 'Phone', 'HomePhone', 'OtherPhone'],
  avatar: [],
  identifier: ['Id'],
  never: [/.id$/, 'PhotoUrl', 'AssistantPhone', 'Fax', 'Jigsaw'],
};

// Salesforce reports (Export → Details only) use field labels. Labels from the field reference
// (developer.salesforce.com, salesforce-field-reference-contact: AccountId "Account ID",
// AssistantPhone "Asst. Phone") and the Contact page labels (Contact Owner, Name, Account Name,
// Phone, Home Phone, Mobile, Other Phone, Fax, Asst. Phone, Reports To, Lead Source). Lead reports
// have `Lead ID` and `Lead Owner`.
const SALESFORCE_REPORT: PresetSpec = {
  name: 'Salesforce report export',
  signatures: [[['Contact ID', 'Lead ID'], ['Account ID', 'Account Name', 'Contact Owner', 'Lead Owner', 'Mailing City', 'Mailing Street', 'Lead Source', 'Mobile']]],
  fullName: ['Full Name', 'Name'],
  first: ['First Name'],
  middle: ['Middle Name'],
  last: ['Last Name'],
  email: ['Email'],
  phone: ['Mobile', 'Mobile Phone', 'Phone', 'Home Phone', 'Other Phone'],
  identifier: ['Contact ID', 'Lead ID'],
  never: ['Account ID', 'Owner ID', 'Contact Owner', 'Lead Owner', 'Created By ID', 'Last Modified By ID', 'Asst. Phone', 'Fax', 'Business Fax'],
};

// Chatwoot's contact import sample, public/downloads/import-contacts-sample.csv in
// chatwoot/chatwoot: `id,name,email,identifier,phone_number,labels,ip_address,company_name,
// custom_attribute_1,custom_attribute_2` (some versions add document_number). Its importer
// (app/services/data_import/contact_manager.rb) reads name, email, phone_number and identifier and
// keeps `id` out of the contact: it is the row's number in the exporting account.
const CHATWOOT: PresetSpec = {
  name: 'Chatwoot contact import file',
  signatures: [[['identifier'], ['phone_number'], ['labels', 'ip_address', 'company_name', 'custom_attribute_1', 'document_number']]],
  fullName: ['name'],
  email: ['email'],
  phone: ['phone_number'],
  identifier: ['identifier'],
  never: ['id'],
};

// LiveDesk's own field names (the Create Contact API: name, email, phone_number, avatar_url,
// identifier), which is also the header of this importer's results file; `contact_id` there is
// LiveDesk's ID for the contact, never an identifier of ours.
const LIVEDESK_FIELDS = ['name', 'email', 'phone_number', 'avatar_url', 'identifier'];
const LIVEDESK: PresetSpec = {
  name: 'LiveDesk field names',
  // Two of the API's names, one of them spelt the API's way (`phone_number`, not "Phone Number").
  signatures: [
    [[{ raw: /^phone_number$/i }], LIVEDESK_FIELDS.filter((f) => f !== 'phone_number')],
    [[{ raw: /^avatar_url$/i }], LIVEDESK_FIELDS.filter((f) => f !== 'avatar_url')],
  ],
  fullName: ['name'],
  email: ['email'],
  phone: ['phone_number'],
  avatar: ['avatar_url'],
  identifier: ['identifier'],
  never: ['contact_id', 'inbox_id', 'row', 'outcome'],
};

/**
 * In the order they are tried: a header matching two presets gets the first. Those whose
 * signatures overlap are ordered so the more specific comes first (HubSpot's `Record ID` before
 * Zoho's `Record Id`; Chatwoot's sample before LiveDesk's names).
 */
export const PRESETS: readonly Preset[] = [GOOGLE, OUTLOOK, HUBSPOT, ZOHO, PIPEDRIVE, MAILCHIMP, SALESFORCE_API, SALESFORCE_REPORT, CHATWOOT, LIVEDESK].map(compile);

/** The preset whose signature the header carries, if any: `names` normalized, `raw` as written. */
export function findPreset(names: ReadonlySet<string>, raw: readonly string[]): Preset | undefined {
  return PRESETS.find((p) => p.matches(names, raw));
}

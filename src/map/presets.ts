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
  /** The contact's company, for the name of a row without a person name (before a nickname). */
  company?: readonly Name[];
  nickname?: readonly Name[];
  /** Where the contact is (ISO code or country name): the country a national phone number is read in. */
  country?: readonly Name[];
  /** A user's role in the exporting product (Zendesk: end-user, agent, admin); counted, never sent. */
  role?: readonly Name[];
  /** Columns that never feed a field, not even through the generic aliases. */
  never?: readonly Name[];
  /** A further condition on the header, for a signature that names alone cannot say. */
  also?: (names: ReadonlySet<string>, raw: readonly string[]) => boolean;
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
  readonly company?: Matcher;
  readonly nickname?: Matcher;
  readonly country?: Matcher;
  readonly role?: Matcher;
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
      return signatures.some((groups) => groups.every((test) => test(names, raw))) && (spec.also === undefined || spec.also(names, raw));
    },
    fullName: m(spec.fullName),
    first: m(spec.first),
    middle: m(spec.middle),
    last: m(spec.last),
    email: m(spec.email),
    phone: m(spec.phone),
    avatar: m(spec.avatar),
    identifier: m(spec.identifier),
    company: m(spec.company),
    nickname: m(spec.nickname),
    country: m(spec.country),
    role: m(spec.role),
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
  company: ['Organization Name', 'Organization 1 - Name', 'File As'],
  nickname: ['Nickname'],
  country: [/^address\d+country$/],
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
  company: ['Company'],
  country: ['Business Country/Region', 'Home Country/Region', 'Other Country/Region'],
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
  company: ['Company Name', 'Associated Company'],
  country: ['Country/Region', 'Country'],
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
  company: ['Account Name'],
  country: ['Mailing Country', 'Other Country'],
  never: ['Contact Owner.id', 'Account Name.id', 'Vendor Name.id', 'Created By.id', 'Modified By.id', 'Reporting To.id', 'Asst Phone', 'Fax', 'Skype ID'],
};

// Pipedrive. Exports that carry several entities prefix each column with it: `Person - Name`,
// `Person - First name`, `Person - Last name`, `Person - Email - Work`/`- Home`/`- Other`,
// `Person - Phone - Work`/`- Home`/`- Mobile`/`- Other`, `Person - Organization`, `Person - ID`,
// `Deal - ID`, ... (read by public scripts processing these exports); the People list export has
// the same names unprefixed: `ID, Name, First name, Last name, Email - Work, Email - Home, Email -
// Other, Phone - Work, Phone - Home, Phone - Mobile, Phone - Other, Organization, Organization ID`.
// Exports from accounts set to British English write `Person - Organisation`; some exports number
// the phone columns (`Person - Phone 1` … `Person - Phone 10`). A cell may hold two values
// (`a@x.com, b@y.com`). A deals export repeats a person on each of their deals: duplicate_in_file
// catches the repeats.
const PIPEDRIVE: PresetSpec = {
  name: 'Pipedrive export',
  signatures: [
    [['Person - Name', 'Person - Email - Work', 'Person - Email', 'Person - Phone - Work', 'Person - Phone - Mobile', 'Person - ID', 'Person - First name', 'Person - Organisation', /^personphone\d+$/]],
    [['Email - Work', 'Email - Home', 'Email - Other', 'Phone - Work', 'Phone - Mobile', 'Phone - Home']],
  ],
  fullName: ['Person - Name', 'Name'],
  first: ['Person - First name', 'First name'],
  last: ['Person - Last name', 'Last name'],
  email: ['Person - Email - Work', 'Person - Email - Home', 'Person - Email - Other', 'Person - Email', 'Email - Work', 'Email - Home', 'Email - Other', 'Email'],
  phone: [
    'Person - Phone - Mobile',
    'Person - Phone - Work',
    'Person - Phone - Home',
    'Person - Phone - Other',
    'Person - Phone',
    /^personphone\d+$/,
    'Phone - Mobile',
    'Phone - Work',
    'Phone - Home',
    'Phone - Other',
    'Phone',
  ],
  identifier: ['Person - ID', 'ID'],
  company: ['Person - Organization', 'Person - Organisation', 'Organization', 'Organisation'],
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
  // CC is the subscriber's country (ISO code), located by Mailchimp: numbers are read in it.
  country: ['CC'],
  never: ['LEID', 'OPTIN_IP', 'CONFIRM_IP', 'REGION'],
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
  country: ['MailingCountry', 'OtherCountry'],
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
  company: ['Account Name', 'Company / Account', 'Company'],
  country: ['Mailing Country', 'Country'],
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
  company: ['company_name'],
  never: ['id'],
};

// LinkedIn (Settings → Data privacy → Get a copy of your data → Connections): Connections.csv
// starts with a `Notes:` line, a quoted paragraph and a blank line, then `First Name,Last Name,URL,
// Email Address,Company,Position,Connected On`. Email Address is empty unless the connection allows
// it to be downloaded. `URL` is the profile's address (linkedin.com/in/…): the one key a
// connection has in this file, so it is the identifier (a rerun finds the contact again).
const LINKEDIN: PresetSpec = {
  name: 'LinkedIn connections export',
  signatures: [[['Connected On'], ['URL', 'Position']]],
  first: ['First Name'],
  last: ['Last Name'],
  email: ['Email Address'],
  identifier: ['URL'],
  company: ['Company'],
  never: ['Position'],
};

// Shopify (Customers → Export). Current header (help.shopify.com, "Customer CSV file format"):
// `Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Default Address Company,Default
// Address Address1,Default Address Address2,Default Address City,Default Address Province Code,
// Default Address Country Code,Default Address Zip,Default Address Phone,Phone,Accepts SMS
// Marketing,Total Spent,Total Orders,Note,Tax Exempt,Tags`; before 2023: `First Name,Last Name,
// Email,Company,Address1,Address2,City,Province,Province Code,Country,Country Code,Zip,Phone,Accepts
// Marketing,Total Spent,Total Orders,Tags,Note,Tax Exempt`. Shopify writes a leading apostrophe
// (Excel's text guard) before phones, the customer ID and the zip: `'+14155550150`.
const SHOPIFY: PresetSpec = {
  name: 'Shopify customers export',
  signatures: [[['Total Spent'], ['Total Orders'], ['Accepts Email Marketing', 'Accepts Marketing', 'Tax Exempt', 'Accepts SMS Marketing']]],
  first: ['First Name'],
  last: ['Last Name'],
  email: ['Email'],
  // The customer's own phone before the default address's (which may be a shop or a relative).
  phone: ['Phone', 'Default Address Phone'],
  identifier: ['Customer ID'],
  company: ['Default Address Company', 'Company'],
  country: ['Default Address Country Code', 'Country Code', 'Country'],
};

// Intercom (Contacts → Export users): `First name,Last name,Name,Conversation Rating,Email,Phone,
// User ID,First Seen (UTC),Signed up (UTC),Last seen (UTC),Last contacted (UTC),Last heard from
// (UTC),…,Web sessions,Country,Region,City,…`, then the workspace's custom attributes, then company
// columns. A custom attribute may carry any name, such as `phone_number`: the standard `Phone`,
// `Email` and `User ID` always come first. `User ID` is the ID the customer's own product gave the
// user (Intercom's "external ID").
const INTERCOM: PresetSpec = {
  name: 'Intercom users export',
  signatures: [
    [
      ['Email', 'Phone', 'User ID'],
      ['First Seen (UTC)', 'Signed up (UTC)', 'Last seen (UTC)', 'Last contacted (UTC)', 'Last heard from (UTC)', 'Conversation Rating', 'Web sessions', 'Last opened email (UTC)'],
    ],
  ],
  fullName: ['Name'],
  first: ['First name'],
  last: ['Last name'],
  email: ['Email'],
  phone: ['Phone'],
  identifier: ['User ID'],
  company: ['Company name'],
  country: ['Country'],
  never: ['Company ID', 'Intercom ID', 'Owner'],
};

// Dynamics 365 (a view's "Export to Excel", as .xlsx or saved as CSV): the first three columns
// are hidden in the workbook: `(Do Not Modify) Contact` (the record's GUID), `(Do Not Modify) Row
// Checksum`, `(Do Not Modify) Modified On`, then the view's columns by their display names
// (learn.microsoft.com, "Export data to Excel"): `Full Name,Email,Company Name,Business Phone,
// Mobile Phone,…`. A lead view's GUID column is `(Do Not Modify) Lead`. The checksum and the date
// let Dynamics re-import the sheet; they never feed a field.
const DYNAMICS: PresetSpec = {
  name: 'Dynamics 365 export',
  signatures: [[['(Do Not Modify) Row Checksum', '(Do Not Modify) Modified On']]],
  fullName: ['Full Name', 'Name'],
  first: ['First Name'],
  middle: ['Middle Name'],
  last: ['Last Name'],
  email: ['Email', 'Email Address 2', 'Email Address 3'],
  phone: ['Mobile Phone', 'Business Phone', 'Home Phone', 'Business Phone 2', 'Home Phone 2'],
  identifier: ['(Do Not Modify) Contact', '(Do Not Modify) Lead'],
  company: ['Company Name', 'Company', 'Parent Customer'],
  nickname: ['Nickname'],
  country: ['Address 1: Country/Region', 'Country/Region'],
  // Every other `(Do Not Modify)` column: the checksum, the date, another entity's GUID.
  never: [/^donotmodify(?!(?:contact|lead)$)/, 'Owner', 'Fax', 'Pager', 'Assistant Phone'],
};

// Freshdesk (Contacts → Export): `Full name,Title,Email,Work phone,Mobile phone,Twitter,Unique
// external ID,Company,Address,Time zone,Language,Tags,About` (the contact fields of Admin → Contact
// fields, in that order; custom fields follow). `Title` is the job title.
const FRESHDESK: PresetSpec = {
  name: 'Freshdesk contacts export',
  signatures: [[['Unique external ID'], ['Work phone', 'Mobile phone', 'Twitter', 'Time zone', 'About', 'Full name']]],
  fullName: ['Full name'],
  email: ['Email'],
  phone: ['Mobile phone', 'Work phone'],
  identifier: ['Unique external ID'],
  company: ['Company'],
  never: ['Title', 'Twitter', 'Twitter ID', 'Facebook ID'],
};

// Zendesk users (Admin Center → Account → Tools → Reports → Export, or a script over the Users API):
// the Users API's field names (developer.zendesk.com, Users): `id,url,name,email,created_at,
// updated_at,time_zone,iana_time_zone,phone,shared_phone_number,photo,locale_id,locale,
// organization_id,role,verified,external_id,tags,alias,active,shared,shared_agent,last_login_at,
// two_factor_auth_enabled,signature,details,notes,role_type,custom_role_id,moderator,
// ticket_restriction,only_private_comments,restricted_agent,suspended,default_group_id,…`. `id`
// is Zendesk's own number and `url` its API address; `external_id` is "a unique identifier from
// another system". `photo` is the picture's address. `role` is end-user, agent or admin: staff rows
// are imported like the others, and counted in the summary.
const ZENDESK: PresetSpec = {
  name: 'Zendesk users export',
  signatures: [
    [
      // The API's own spelling: a CRM's "External ID" and "Role" (a job title) are not Zendesk's.
      [{ raw: /^external_id$/ }],
      [{ raw: /^role$/ }],
      ['organization_id', 'locale_id', 'time_zone', 'iana_time_zone', 'shared_phone_number', 'ticket_restriction', 'role_type', 'custom_role_id', 'last_login_at', 'restricted_agent', 'only_private_comments'],
    ],
  ],
  fullName: ['name'],
  email: ['email'],
  phone: ['phone'],
  avatar: ['photo', 'remote_photo_url'],
  identifier: ['external_id'],
  company: ['organization'],
  nickname: ['alias'],
  role: ['role'],
  never: ['id', 'url', 'organization_id', 'locale_id', 'custom_role_id', 'default_group_id', 'shared_phone_number', 'role_type', 'signature'],
};

// Chatwoot's contacts export (Contacts → Export): `id,name,email,phone_number`, the default columns
// of its ContactsExportJob, sometimes followed by further attributes. `id` is the contact's number
// in the exporting Chatwoot account, meaningless in LiveDesk: never the identifier.
const CHATWOOT_EXPORT: PresetSpec = {
  name: 'Chatwoot contacts export',
  signatures: [[[{ raw: /^id$/ }], [{ raw: /^name$/ }], [{ raw: /^email$/ }], [{ raw: /^phone_number$/ }]]],
  also: (_names, raw) => raw[0]?.trim() === 'id',
  fullName: ['name'],
  email: ['email'],
  phone: ['phone_number'],
  identifier: ['identifier'],
  company: ['company_name', 'company'],
  country: ['country_code', 'country'],
  never: ['id'],
};

// LiveDesk's own field names (the Create Contact API: name, email, phone_number, avatar_url,
// identifier), which is also the header of this importer's results file; `contact_id` there is
// LiveDesk's ID for the contact, never an identifier of ours.
// A header of another product may hold one of these names as a custom column (Intercom's custom
// attribute `phone_number` beside its standard `Phone`): the header must spell at least three of
// them exactly the API's way (lower case, underscores), and have no other email or phone column.
const LIVEDESK_FIELDS = ['name', 'email', 'phone_number', 'avatar_url', 'identifier'];
const LIVEDESK_NORMALIZED = new Set(LIVEDESK_FIELDS.map(normalizeHeaderName));
const OTHER_CONTACT_COLUMN = /phone|mobile|mail|cell|tel/;
const LIVEDESK: PresetSpec = {
  name: 'LiveDesk field names',
  // One of the API's names that no label-style header writes (`phone_number`, not "Phone Number").
  signatures: [[[{ raw: /^(?:phone_number|avatar_url)$/ }]]],
  also: (names, raw) =>
    raw.filter((r) => LIVEDESK_FIELDS.includes(r.trim())).length >= 3 &&
    ![...names].some((n) => !LIVEDESK_NORMALIZED.has(n) && OTHER_CONTACT_COLUMN.test(n)),
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
 * Zoho's `Record Id`; Chatwoot's files before LiveDesk's names).
 */
export const PRESETS: readonly Preset[] = [
  GOOGLE,
  OUTLOOK,
  HUBSPOT,
  ZOHO,
  PIPEDRIVE,
  MAILCHIMP,
  SALESFORCE_API,
  SALESFORCE_REPORT,
  LINKEDIN,
  SHOPIFY,
  INTERCOM,
  DYNAMICS,
  FRESHDESK,
  ZENDESK,
  CHATWOOT,
  CHATWOOT_EXPORT,
  LIVEDESK,
].map(compile);

/** The preset whose signature the header carries, if any: `names` normalized, `raw` as written. */
export function findPreset(names: ReadonlySet<string>, raw: readonly string[]): Preset | undefined {
  return PRESETS.find((p) => p.matches(names, raw));
}

// Detecting a mapping from the header's names: a product's export first (presets.ts), then the
// generic aliases below. Works on the header only, once per run.

import type { ContactField } from '../types.js';
import { ignoredColumns, type ResolvedMapping } from './mapping.js';
import { isReserved, normalizeHeaderName } from './names.js';
import { findPreset, type Matcher } from './presets.js';

// The generic aliases: what any spreadsheet's columns are likely called. A matcher ranks a
// normalized header name (lower is better, undefined is no match); alias lists are in order of
// preference.

const ranked =
  (aliases: readonly string[]): Matcher =>
  (n) => {
    const i = aliases.indexOf(n);
    return i === -1 ? undefined : i;
  };

/** Full-name columns (Google's `Name`, Salesforce's `Full Name`, …). */
const FULL_NAME = ranked([
  'name',
  'fullname',
  'contactname',
  'displayname',
  'customername',
  'clientname',
  'firstandlastname',
]);
const FIRST_NAME = ranked(['firstname', 'givenname', 'first', 'forename', 'fname', 'givennames', 'vorname', 'prenom']);
const MIDDLE_NAME = ranked(['middlename', 'additionalname', 'middle', 'middlenames', 'middleinitial']);
const LAST_NAME = ranked([
  'lastname',
  'familyname',
  'surname',
  'last',
  'lname',
  'surnames',
  'nachname',
  'nomdefamille',
  'apellido',
  'apellidos',
]);

const EMAIL_NAMES = new Set([
  'email',
  'emailaddress',
  'emailaddr',
  'emailid',
  'mail',
  'mailaddress',
  'primaryemail',
  'primaryemailaddress',
  'workemail',
  'workemailaddress',
  'businessemail',
  'personalemail',
  'homeemail',
  'otheremail',
  'contactemail',
  'courriel',
  'correo',
  'correoelectronico',
  'emailadresse',
]);
/** Numbered email columns: `E-mail 1 - Value` (Google), `E-mail 2 Address` (Outlook), `Email Address 2`, `Email 2`. */
const EMAIL_NUMBERED = /^e?mail\d+(?:address|value)?$|^emailaddress\d+$/;
/** Every email column, in header order (the first non-empty value wins). */
const EMAIL: Matcher = (n) => (EMAIL_NAMES.has(n) || EMAIL_NUMBERED.test(n) ? 0 : undefined);

/**
 * Phone columns, mobile-ish first (a support desk reaches people on their mobile, and WhatsApp
 * needs one), then generic/primary, then work, then home and other. Within a rank, header order.
 * `Phone 1 - Type` (Google) and fax, pager, assistant and car phones do not match.
 */
const PHONE_RANKS: readonly RegExp[] = [
  /^(?:mobile|cell|cellular|whatsapp|handy|movil)(?:phone|telephone)?(?:number|no)?\d*$/,
  /^(?:primary|main|contact)?(?:phone|telephone|tel|telefon|telefono)(?:number|no)?\d*(?:value)?$|^contactnumber$/,
  /^(?:work|business|office)(?:phone|telephone|tel)(?:number|no)?\d*$/,
  /^(?:home|other|personal|private)(?:phone|telephone|tel)(?:number|no)?\d*$/,
];
const PHONE: Matcher = (n) => {
  const i = PHONE_RANKS.findIndex((re) => re.test(n));
  return i === -1 ? undefined : i;
};

const AVATAR = ranked([
  'avatarurl',
  'avatar',
  'avatarlink',
  'photourl',
  'photo',
  'photolink',
  'pictureurl',
  'picture',
  'profilepicture',
  'profilepictureurl',
  'profilephoto',
  'profilephotourl',
  'profileimage',
  'profileimageurl',
  'profilepic',
  'imageurl',
  'image',
]);

/** Explicit external IDs before a bare `ID`. */
const IDENTIFIER = ranked([
  'identifier',
  'externalid',
  'externalidentifier',
  'contactid',
  'customerid',
  'userid',
  'recordid',
  'crmid',
  'clientid',
  'memberid',
  'id',
  'uid',
]);

/**
 * A contact's company, for the name of a row without a person name: what a CRM shows for such a
 * contact. Google's `File As` is how the contact is filed (usually the company when there is no
 * person name).
 */
const COMPANY = ranked([
  'company',
  'companyname',
  'organization',
  'organisation',
  'organizationname',
  'organisationname',
  'organization1name',
  'defaultaddresscompany',
  'accountname',
  'businessname',
  'fileas',
]);
/** After the company: what the person is called when nothing else names them. */
const NICKNAME = ranked(['nickname', 'nick', 'preferredname', 'knownas']);

/**
 * The country a row's national phone numbers are read in: an ISO code or an English name.
 * Codes before names, the person's own address before a business one; then any name ending in
 * `country`, `country code` or `country/region` (`Address 1 - Country`, `Mailing Country`).
 */
const COUNTRY_NAMES = ranked([
  'countrycode',
  'country',
  'countryregion',
  'countryname',
  'mailingcountry',
  'homecountryregion',
  'businesscountryregion',
  'othercountryregion',
]);
const COUNTRY_ANY = /country(?:code|region|name)?$/;
const COUNTRY: Matcher = (n) => COUNTRY_NAMES(n) ?? (COUNTRY_ANY.test(n) ? 100 : undefined);

interface Candidate {
  index: number;
  rank: number;
}

/**
 * The usable columns a matcher accepts, best rank first, then header order. Reserved (`_`) and
 * already-used columns are skipped; among columns whose names are the same once normalized, only
 * the first is considered.
 */
function candidates(names: readonly string[], firstOfName: ReadonlySet<number>, used: ReadonlySet<number>, match: Matcher): Candidate[] {
  const found: Candidate[] = [];
  names.forEach((n, index) => {
    if (!firstOfName.has(index) || used.has(index)) return;
    const rank = match(n);
    if (rank !== undefined) found.push({ index, rank });
  });
  return found.sort((a, b) => a.rank - b.rank || a.index - b.index);
}

/**
 * Maps a header by its column names. Never throws; a header that matches nothing maps nothing.
 * A recognised product export (presets.ts) decides first, for the fields it has columns for; the
 * generic aliases fill the rest, and add further candidates for email and phone after the
 * preset's. A preset's `never` columns are kept out of both.
 */
export function detectMapping(header: string[]): ResolvedMapping {
  const names = header.map((h) => (isReserved(h) ? '' : normalizeHeaderName(h)));
  // Only the first column of each normalized name may be mapped; reserved and nameless never.
  const firstOfName = new Set<number>();
  const seen = new Set<string>();
  names.forEach((n, i) => {
    if (n === '' || seen.has(n)) return;
    seen.add(n);
    firstOfName.add(i);
  });
  const preset = findPreset(seen, header.filter((h) => !isReserved(h)));

  const used = new Set<number>();
  const never = preset?.never;
  if (never !== undefined) names.forEach((n, i) => n !== '' && never(n) !== undefined && used.add(i));

  const fields: ResolvedMapping['fields'] = {};
  const best = (match: Matcher | undefined): number | undefined => {
    if (match === undefined) return undefined;
    const c = candidates(names, firstOfName, used, match)[0];
    if (c !== undefined) used.add(c.index);
    return c?.index;
  };
  const all = (match: Matcher | undefined): number[] => {
    if (match === undefined) return [];
    const cs = candidates(names, firstOfName, used, match).map((c) => c.index);
    for (const i of cs) used.add(i);
    return cs;
  };
  const joinOf = (first: Matcher | undefined, middle: Matcher | undefined, last: Matcher | undefined): number[] =>
    [best(first), best(middle), best(last)].filter((i) => i !== undefined);

  const fullName = best(preset?.fullName) ?? best(FULL_NAME);
  if (fullName !== undefined) {
    fields.name = { kind: 'columns', columns: [fullName] };
  } else {
    let parts = joinOf(preset?.first, preset?.middle, preset?.last);
    if (parts.length === 0) parts = joinOf(FIRST_NAME, MIDDLE_NAME, LAST_NAME);
    if (parts.length > 0) fields.name = { kind: 'join', columns: parts };
  }
  const emails = [...all(preset?.email), ...all(EMAIL)];
  if (emails.length > 0) fields.email = { kind: 'columns', columns: emails };
  const phones = [...all(preset?.phone), ...all(PHONE)];
  if (phones.length > 0) fields.phone_number = { kind: 'columns', columns: phones };
  const avatars = [...all(preset?.avatar), ...all(AVATAR)];
  if (avatars.length > 0) fields.avatar_url = { kind: 'columns', columns: avatars };
  // One identifier column only: mixing two ID schemes across rows would defeat rerun protection.
  const identifier = best(preset?.identifier) ?? best(IDENTIFIER);
  if (identifier !== undefined) fields.identifier = { kind: 'columns', columns: [identifier] };

  // Read, never sent: only after the fields took their columns, so none is taken from a field.
  const nameFallback = [...all(preset?.company), ...all(COMPANY), ...all(preset?.nickname), ...all(NICKNAME)];
  const countries = [...all(preset?.country), ...all(COUNTRY)];
  // Only a preset knows a column holds the product's user roles (a `Role` elsewhere is a job title).
  const role = best(preset?.role);

  const read = [...nameFallback, ...countries, ...(role === undefined ? [] : [role])];
  const m: ResolvedMapping = { fields, header, ignored: ignoredColumns(header, fields, undefined, read), detected: true };
  if (preset !== undefined) m.preset = preset.name;
  if (nameFallback.length > 0) m.nameFallback = nameFallback;
  if (countries.length > 0) m.country = { kind: 'columns', columns: countries };
  if (role !== undefined) m.role = role;
  return m;
}

/**
 * The field the generic aliases would detect a (normalized) header name as, if any: for "did you
 * mean" hints about a mapping file's keys.
 */
export function aliasField(n: string): ContactField | undefined {
  if (FULL_NAME(n) !== undefined || FIRST_NAME(n) !== undefined || LAST_NAME(n) !== undefined) return 'name';
  if (EMAIL(n) !== undefined) return 'email';
  if (PHONE(n) !== undefined) return 'phone_number';
  if (AVATAR(n) !== undefined) return 'avatar_url';
  if (IDENTIFIER(n) !== undefined) return 'identifier';
  return undefined;
}

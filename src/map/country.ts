// A row's country column (Shopify `Default Address Country Code`, HubSpot `Country/Region`,
// Mailchimp `CC`, …) as a country code, for reading that row's national phone numbers. Exports
// write an ISO code (`US`, `de`) or a country's name, in English or in their user's language
// (`United States`, `Deutschland`, `Royaume-Uni`). The names come from the ICU data Node ships
// (Intl.DisplayNames), so there is no list to keep up to date; a few forms ICU does not give
// (`USA`, `UK`, `Korea, Republic of`, `Czech Republic`…) are added below.

import metadata from 'libphonenumber-js/max/metadata';
import { toCountryCode, type CountryCode } from './phone.js';

/**
 * The languages whose country names are recognised: English first (it wins a name two languages
 * give to different countries, and is the only one built unless a name is not English), then the
 * languages of the CRMs' largest markets.
 */
const LOCALES = ['en', 'de', 'fr', 'es', 'it', 'pt', 'nl'] as const;

/** Forms exports use that ICU's names do not cover: ISO 3166's official short names, abbreviations, old names. */
const ALIASES: Record<string, string> = {
  USA: 'US',
  'U.S.A.': 'US',
  'U.S.': 'US',
  'United States of America': 'US',
  America: 'US',
  'U.K.': 'GB',
  'Great Britain': 'GB',
  Britain: 'GB',
  England: 'GB',
  Scotland: 'GB',
  Wales: 'GB',
  'Northern Ireland': 'GB',
  UAE: 'AE',
  Korea: 'KR',
  'Republic of Korea': 'KR',
  'Korea, Republic of': 'KR',
  'Korea (South)': 'KR',
  "Korea, Democratic People's Republic of": 'KP',
  'Czech Republic': 'CZ',
  Turkey: 'TR',
  'Ivory Coast': 'CI',
  'Russian Federation': 'RU',
  'Viet Nam': 'VN',
  'Iran, Islamic Republic of': 'IR',
  'Taiwan, Province of China': 'TW',
  'Tanzania, United Republic of': 'TZ',
  'Bolivia, Plurinational State of': 'BO',
  'Venezuela, Bolivarian Republic of': 'VE',
  'Moldova, Republic of': 'MD',
  'Syrian Arab Republic': 'SY',
  "Lao People's Democratic Republic": 'LA',
  'Brunei Darussalam': 'BN',
  'Micronesia, Federated States of': 'FM',
  'Palestine, State of': 'PS',
  'Congo, The Democratic Republic of the': 'CD',
  'Democratic Republic of the Congo': 'CD',
  'Republic of the Congo': 'CG',
  Burma: 'MM',
  Swaziland: 'SZ',
  Macedonia: 'MK',
  Holland: 'NL',
  'Holy See': 'VA',
  Vatican: 'VA',
  Macau: 'MO',
};

const NOT_ALPHANUMERIC = /[^a-z0-9]/g;
const LEADING_THE = /^the(?=.)/;

/** A country name reduced for matching: `Côte d’Ivoire` → `cotedivoire`, `The Netherlands` → `netherlands`. */
function nameKey(name: string): string {
  return name.normalize('NFKD').toLowerCase().replace(NOT_ALPHANUMERIC, '').replace(LEADING_THE, '');
}

/** English names and the aliases: built the first time a row's country is a name, not a code. */
let english: Map<string, CountryCode> | undefined;
/** The other languages' names: built only when a name is not an English one (~100 ms, once). */
let others: Map<string, CountryCode> | undefined;

function namesIn(locales: readonly string[], table: Map<string, CountryCode>): Map<string, CountryCode> {
  const codes = Object.keys(metadata.countries) as CountryCode[];
  for (const locale of locales) {
    for (const style of ['long', 'short'] as const) {
      let display: Intl.DisplayNames;
      try {
        display = new Intl.DisplayNames([locale], { type: 'region', style, fallback: 'none' });
      } catch {
        continue; // a Node built without this locale's data: English still works
      }
      for (const code of codes) {
        let name: string | undefined;
        try {
          name = display.of(code);
        } catch {
          continue; // a code this ICU does not know: its ISO code still works
        }
        const key = name === undefined ? '' : nameKey(name);
        if (key !== '' && !table.has(key)) table.set(key, code);
      }
    }
  }
  return table;
}

function byName(key: string): CountryCode | undefined {
  if (english === undefined) {
    english = namesIn(['en'], new Map());
    for (const [name, code] of Object.entries(ALIASES)) {
      const c = toCountryCode(code);
      if (c !== undefined) english.set(nameKey(name), c);
    }
  }
  const code = english.get(key);
  if (code !== undefined) return code;
  others ??= namesIn(LOCALES.slice(1), new Map());
  return others.get(key);
}

/** The last value read and its answer: a file's country column repeats the same few values. */
let lastValue: string | undefined;
let lastCode: CountryCode | undefined;

/**
 * A country cell as a country code: an ISO 3166 alpha-2 code in any case (`us`, ` DE `), or a
 * country's name in English, German, French, Spanish, Italian, Portuguese or Dutch, ignoring case,
 * accents and punctuation (`United States`, `Deutschland`, `cote d'ivoire`); undefined when it is
 * neither (or names a place without its own numbering plan).
 */
export function countryOf(value: string): CountryCode | undefined {
  if (value === lastValue) return lastCode;
  const trimmed = value.trim();
  let code: CountryCode | undefined;
  if (trimmed.length === 2) code = toCountryCode(trimmed) ?? (trimmed.toUpperCase() === 'UK' ? 'GB' : undefined);
  else if (trimmed.length > 2) code = byName(nameKey(trimmed));
  lastValue = value;
  lastCode = code;
  return code;
}

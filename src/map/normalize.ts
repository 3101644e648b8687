// Picking a row's raw values out of its cells, and normalizing them. Pure and per-row hot: every
// regex is compiled once here, and the common case (clean input) allocates nothing but the result.


/**
 * Invisible characters removed from every field: NUL and the other C0/C1 control characters that
 * are not whitespace, soft hyphen, Mongolian vowel separator, zero-width space, word joiner and
 * BOM / zero-width no-break space. They come from copy-paste and from broken exports, and are
 * never meant.
 */
const INVISIBLE_ANY = /[\u0000-\u0008\u000e-\u001f\u007f-\u009f\u00ad\u180e\u200b\u2060\ufeff]/g;
/**
 * Removed as well from every field but `name`: zero-width (non-)joiners and bidirectional marks.
 * In a name they can be meaningful (ZWNJ in Persian, ZWJ in emoji sequences, marks in RTL text);
 * in an email, phone, URL or ID they are only copy-paste debris (phone numbers copied from
 * WhatsApp or Excel often carry U+202A…U+202C around them).
 */
const INVISIBLE_STRICT =
  /[\u0000-\u0008\u000e-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;
/** A run of two or more whitespace characters, or any whitespace that is not a plain space. */
const WHITESPACE_TO_COLLAPSE = /\s{2,}|[^\S ]/g;
/** Characters people put in phone numbers for readability: spaces, dashes, dots, parentheses, slashes. */
const PHONE_FORMATTING = /[\s\-\u2010-\u2015\u2212.()/]/g;
/** `+44 (0)20 …`: the national trunk 0 written after the country code, which must be dropped. */
const PHONE_TRUNK_ZERO = /^(\+|00)(\d{1,3})\s*\(0\)/;
const NON_ASCII = /[^\u0000-\u007f]/;
/** Google Contacts puts several values in one cell as `a ::: b`. */
const GOOGLE_MULTI = ' ::: ';
/** A string with nothing visible in it: only whitespace and invisible characters. */
const BLANK = /^[\s\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]*$/;

function clean(value: string, invisible: RegExp): string {
  // replace() returns the same string when nothing matches, so clean input costs two scans.
  return value.replace(invisible, '').replace(WHITESPACE_TO_COLLAPSE, ' ').trim();
}

/** Text as a person meant it: invisible characters gone, whitespace runs collapsed, trimmed. */
export function cleanText(value: string): string {
  return clean(value, INVISIBLE_STRICT);
}

/** A name: like {@link cleanText} but keeps joiners and direction marks, which carry meaning in some scripts. */
export function cleanName(value: string): string {
  return clean(value, INVISIBLE_ANY);
}

/** First of several values Google Contacts packed into one cell (`a@x.com ::: b@y.com`). */
function firstOfMulti(value: string): string {
  const at = value.indexOf(GOOGLE_MULTI);
  return at === -1 ? value : value.slice(0, at).trim();
}

/** Email: cleaned and lower-cased (LiveDesk lower-cases too, and compares case-insensitively). */
export function normalizeEmail(value: string): string {
  return firstOfMulti(cleanText(value)).toLowerCase();
}

/**
 * Phone: cleaned; formatting characters (spaces, dashes, dots, parentheses, slashes) removed;
 * `+44 (0)20` → `+4420`; a leading `00` becomes `+`. Full-width digits and signs (typed with
 * CJK input methods) become ASCII. No country is guessed: `555-0100` stays `5550100` and fails
 * validation.
 */
export function normalizePhone(value: string): string {
  let phone = firstOfMulti(cleanText(value));
  if (NON_ASCII.test(phone)) phone = phone.normalize('NFKC');
  phone = phone.replace(PHONE_TRUNK_ZERO, '$1$2').replace(PHONE_FORMATTING, '');
  if (phone.startsWith('00')) phone = '+' + phone.slice(2);
  return phone;
}

/** True when the value has nothing visible in it. */
export function isBlank(value: string): boolean {
  return BLANK.test(value);
}


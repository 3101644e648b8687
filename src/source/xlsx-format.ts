// Cell text "as shown": what a person sees in Excel, so a value reads the same whether the sheet
// is imported as .xlsx or saved as CSV first. Two deliberate departures from Excel's screen:
//   - General numbers never use an exponent: Excel shows a 13-digit phone stored as a number as
//     4.91511E+12 (and saves it so in CSV), which would lose the number; we write 4915112345678.
//   - Display-only decoration (thousands separators, currency, percent, decimals) is left out:
//     the stored value (15 significant digits, like Excel) imports better than "1,234.00 €".
// Formats that change the digits a person reads (zero padding such as 00000, literal text such
// as "+"0 or 000-00-0000, dates and times) are applied.

/** A number format, classified by what it does to a number. */
export type NumberFormat =
  | { kind: 'general' }
  | { kind: 'date'; time: boolean }
  | { kind: 'time'; elapsed: boolean }
  | { kind: 'pattern'; sections: PatternSection[] };

interface Condition {
  op: '<' | '<=' | '>' | '>=' | '=' | '<>';
  value: number;
}

/** One `;` section of a digit-pattern format: tokens left to right. */
export interface PatternSection {
  condition?: Condition;
  /** Digit placeholders ('0', '#', '?') and literal text. */
  tokens: Array<{ digit: '0' | '#' | '?' } | { text: string }>;
  /** False when the section is something we leave to General (decimals, %, text…). */
  usable: boolean;
}

const GENERAL: NumberFormat = { kind: 'general' };

/**
 * Excel's built-in formats (ECMA-376 §18.8.30). 27–36 and 50–58 are East Asian date and time
 * formats whose exact text depends on the locale; only their kind matters here.
 */
const BUILTIN: Record<number, string> = {
  0: 'General',
  1: '0',
  2: '0.00',
  3: '#,##0',
  4: '#,##0.00',
  9: '0%',
  10: '0.00%',
  11: '0.00E+00',
  12: '# ?/?',
  13: '# ??/??',
  14: 'yyyy-mm-dd',
  15: 'd-mmm-yy',
  16: 'd-mmm',
  17: 'mmm-yy',
  18: 'h:mm AM/PM',
  19: 'h:mm:ss AM/PM',
  20: 'h:mm',
  21: 'h:mm:ss',
  22: 'yyyy-mm-dd h:mm',
  37: '#,##0 ;(#,##0)',
  38: '#,##0 ;[Red](#,##0)',
  39: '#,##0.00;(#,##0.00)',
  40: '#,##0.00;[Red](#,##0.00)',
  45: 'mm:ss',
  46: '[h]:mm:ss',
  47: 'mmss.0',
  48: '##0.0E+0',
  49: '@',
};
for (const id of [27, 28, 29, 30, 31, 34, 35, 36, 50, 51, 52, 53, 54, 57, 58]) BUILTIN[id] = 'yyyy-mm-dd';
for (const id of [32, 33, 55, 56]) BUILTIN[id] = 'h:mm:ss';

export function builtinFormat(id: number): string | undefined {
  return BUILTIN[id];
}

/** Splits on `;` outside quotes, brackets and escapes. */
function splitSections(code: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < code.length; i++) {
    const c = code[i]!;
    if (c === '"') {
      const end = code.indexOf('"', i + 1);
      const stop = end === -1 ? code.length : end + 1;
      cur += code.slice(i, stop);
      i = stop - 1;
    } else if (c === '[') {
      const end = code.indexOf(']', i + 1);
      const stop = end === -1 ? code.length : end + 1;
      cur += code.slice(i, stop);
      i = stop - 1;
    } else if (c === '\\' || c === '_' || c === '*') {
      cur += code.slice(i, i + 2);
      i++;
    } else if (c === ';') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** The format with quoted text, escapes, padding and fill removed: what is left are its codes. */
function codesOnly(section: string): string {
  return section
    .replace(/"[^"]*"?/g, '')
    .replace(/[\\_*]./g, '')
    .replace(/\[(?![hms]+\])[^\]]*\]?/gi, '');
}

function dateKind(code: string): NumberFormat | undefined {
  const first = splitSections(code)[0] ?? '';
  const elapsed = /\[(h+|m+|s+)\]/i.test(first);
  const codes = codesOnly(first)
    .replace(/\[[hms]+\]/gi, 'h')
    .replace(/AM\/PM|A\/P/gi, '');
  if (!/[dmyhs]/i.test(codes)) return undefined;
  const hasDate = /[dy]/i.test(codes) || (/m/i.test(codes) && !/[hs]/i.test(codes));
  const hasTime = /[hs]/i.test(codes);
  if (hasDate) return { kind: 'date', time: hasTime };
  return { kind: 'time', elapsed };
}

const CONDITION = /^\[(<=|>=|<>|<|>|=)\s*(-?\d+(?:\.\d+)?)\]/;

function parseSection(section: string): PatternSection {
  const tokens: PatternSection['tokens'] = [];
  let condition: Condition | undefined;
  let usable = true;
  let zeros = 0;
  let literal = false;
  const text = (t: string): void => {
    if (t === '') return;
    literal = true;
    tokens.push({ text: t });
  };
  for (let i = 0; i < section.length; i++) {
    const c = section[i]!;
    if (c === '"') {
      const end = section.indexOf('"', i + 1);
      const stop = end === -1 ? section.length : end;
      text(section.slice(i + 1, stop));
      i = stop;
    } else if (c === '\\') {
      text(section[i + 1] ?? '');
      i++;
    } else if (c === '_' || c === '*') {
      // Padding to the width of a character, and fill: layout, not content.
      i++;
    } else if (c === '[') {
      const end = section.indexOf(']', i + 1);
      const stop = end === -1 ? section.length : end;
      const inner = section.slice(i, stop + 1);
      const cond = CONDITION.exec(inner);
      const currency = /^\[\$([^-\]]*)/.exec(inner);
      if (cond) condition = { op: cond[1] as Condition['op'], value: Number(cond[2]) };
      else if (currency) text(currency[1]!);
      // Otherwise a colour ([Red], [Color10]) or a locale ([$-409] handled above as ''): no text.
      i = stop;
    } else if (c === '0' || c === '#' || c === '?') {
      if (c === '0') zeros++;
      tokens.push({ digit: c });
    } else if (c === ' ' || c === '-' || c === '(' || c === ')' || c === '+' || c === ':' || c === '$') {
      text(c);
    } else {
      // '.', ',', '%', 'E', '/', '@', letters: decimals, scaling, exponents, fractions or text.
      usable = false;
    }
  }
  if (!tokens.some((t) => 'digit' in t)) usable = false;
  // A lone 0 or # changes nothing a person would type (it only rounds): General is exact.
  if (zeros < 2 && !literal) usable = false;
  return { tokens, usable, ...(condition ? { condition } : {}) };
}

const cache = new Map<string, NumberFormat>();

export function classifyFormat(code: string | undefined): NumberFormat {
  if (code === undefined || code === '' || /^general$/i.test(code.trim())) return GENERAL;
  let f = cache.get(code);
  if (f) return f;
  f = dateKind(code);
  if (!f) {
    const sections = splitSections(code).slice(0, 3).map(parseSection);
    f = sections.some((s) => s.usable) ? { kind: 'pattern', sections } : GENERAL;
  }
  if (cache.size < 10_000) cache.set(code, f);
  return f;
}

/** Excel keeps 15 significant digits and shows no more. */
function round15(n: number): number {
  return Number(n.toPrecision(15));
}

/** The shortest decimal that reads back as `n`, never with an exponent. */
export function plainNumber(n: number): string {
  if (Object.is(n, -0)) return '0';
  const s = String(n);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const sign = m[1]!;
  const digits = m[2]! + (m[3] ?? '');
  const exp = Number(m[4]);
  if (exp >= 0) {
    return digits.length <= exp + 1
      ? sign + digits + '0'.repeat(exp + 1 - digits.length)
      : `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  }
  return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
}

function generalNumber(n: number): string {
  return plainNumber(round15(n));
}

function test(c: Condition, v: number): boolean {
  switch (c.op) {
    case '<':
      return v < c.value;
    case '<=':
      return v <= c.value;
    case '>':
      return v > c.value;
    case '>=':
      return v >= c.value;
    case '=':
      return v === c.value;
    case '<>':
      return v !== c.value;
  }
}

/** Which section shows `v`, and whether a minus sign must be added to it. */
function pickSection(sections: PatternSection[], v: number): { section: PatternSection; sign: boolean } | undefined {
  if (sections.some((s) => s.condition)) {
    // Negative numbers under conditions get signs by rules too intricate to mirror; General is
    // exact for them.
    if (v < 0) return undefined;
    const [a, b, c] = sections;
    if (a?.condition && test(a.condition, v)) return { section: a, sign: false };
    if (b?.condition) {
      if (test(b.condition, v)) return { section: b, sign: false };
      return c ? { section: c, sign: false } : undefined;
    }
    return b ? { section: b, sign: false } : undefined;
  }
  const [a, b, c] = sections;
  if (v < 0) return b ? { section: b, sign: false } : a ? { section: a, sign: true } : undefined;
  if (v === 0 && c) return { section: c, sign: false };
  return a ? { section: a, sign: false } : undefined;
}

function applyPattern(section: PatternSection, v: number, sign: boolean): string {
  const digits = plainNumber(Math.round(round15(Math.abs(v))));
  const places = section.tokens.filter((t) => 'digit' in t).length;
  // Digits fill the placeholders from the right; the leftmost placeholder takes any surplus.
  let di = digits === '0' ? -1 : digits.length - 1;
  let placed = 0;
  const out: string[] = [];
  for (let i = section.tokens.length - 1; i >= 0; i--) {
    const t = section.tokens[i]!;
    if ('text' in t) {
      out.push(t.text);
      continue;
    }
    placed++;
    if (placed === places && di >= 0) {
      out.push(digits.slice(0, di + 1));
      di = -1;
    } else if (di >= 0) {
      out.push(digits[di]!);
      di--;
    } else if (t.digit === '0') out.push('0');
    else if (t.digit === '?') out.push(' ');
  }
  return (sign ? '-' : '') + out.reverse().join('');
}

const pad2 = (n: number): string => String(n).padStart(2, '0');
const DAY_MS = 86_400_000;
/** Excel's day 0: 1899-12-30 in the 1900 system (which counts a 29 Feb 1900 that never was). */
const EPOCH_1900 = Date.UTC(1899, 11, 30);
const EPOCH_1904 = Date.UTC(1904, 0, 1);
/** 9999-12-31, Excel's last date. */
const MAX_SERIAL = 2_958_465;

function timeOfDay(seconds: number): string {
  return `${pad2(Math.floor(seconds / 3600))}:${pad2(Math.floor(seconds / 60) % 60)}:${pad2(seconds % 60)}`;
}

/** A date serial as ISO text; undefined when it is no date Excel can show. */
export function serialToIso(serial: number, date1904: boolean, withTime: boolean): string | undefined {
  if (!Number.isFinite(serial) || serial < 0 || serial > MAX_SERIAL + 1) return undefined;
  let days = Math.floor(serial);
  let seconds = Math.round((serial - days) * 86_400);
  if (seconds === 86_400) {
    days++;
    seconds = 0;
  }
  if (!date1904 && days < 60) {
    if (days === 0) return undefined;
    // Before Excel's phantom 29 Feb 1900 the serials are one day ahead of the calendar.
    days++;
  }
  const d = new Date((date1904 ? EPOCH_1904 : EPOCH_1900) + days * DAY_MS);
  const date = `${String(d.getUTCFullYear()).padStart(4, '0')}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
  return withTime ? `${date}T${timeOfDay(seconds)}` : date;
}

/** A number under its cell's format, as text. */
export function formatNumber(n: number, format: NumberFormat, date1904: boolean): string {
  switch (format.kind) {
    case 'general':
      return generalNumber(n);
    case 'date':
      return serialToIso(n, date1904, format.time) ?? generalNumber(n);
    case 'time': {
      if (!Number.isFinite(n) || n < 0) return generalNumber(n);
      const total = Math.round(n * 86_400);
      if (format.elapsed) {
        return `${pad2(Math.floor(total / 3600))}:${pad2(Math.floor(total / 60) % 60)}:${pad2(total % 60)}`;
      }
      return timeOfDay(total % 86_400);
    }
    case 'pattern': {
      const pick = pickSection(format.sections, n);
      if (!pick || !pick.section.usable) return generalNumber(n);
      return applyPattern(pick.section, n, pick.sign);
    }
  }
}

/**
 * A `t="d"` cell holds ISO 8601 text. Shown as a date, or a date and time when the format (or,
 * without a date format, the value) has a time.
 */
export function isoDateText(text: string, format: NumberFormat): string {
  const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$/.exec(text.trim());
  if (!m) return text;
  const [, date, h = '00', min = '00', s = '00'] = m;
  const time = `${h}:${min}:${s}`;
  if (format.kind === 'time') return time;
  const withTime = format.kind === 'date' ? format.time : time !== '00:00:00';
  return withTime ? `${date}T${time}` : date!;
}

/** OOXML escapes characters XML cannot hold (and a literal `_x`) as `_xHHHH_`. */
export function decodeXString(s: string): string {
  if (s.indexOf('_x') === -1) return s;
  return s.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

// What both readers say about a broken header or row, built in one place so a workbook and its
// CSV export get the same words. Where the words differ (a CSV numbers its columns and lines, a
// sheet letters its columns and numbers its rows), the reader passes its own parts in.
import { fmt, MAX_PROBLEMS_LISTED, quotedName } from './limits.js';

/**
 * How a message names a column: `column "Email"` plus the reader's `suffix` (a sheet adds its
 * letters: ` (C)`), or `column <position>` (3, or C) when the header leaves it unnamed.
 */
export function columnName(name: string | undefined, position: string, suffix = ''): string {
  return name === undefined || name.trim() === '' ? `column ${position}` : `column ${quotedName(name)}${suffix}`;
}

/** A value over --max-field-size; `noun` is what the reader calls it (a CSV field, a cell's value). */
export function tooLong(column: string, noun: 'field' | 'value', bytes: number, maxFieldBytes: number): string {
  return `${column}: ${noun} is ${fmt(bytes)} bytes long, more than --max-field-size ${maxFieldBytes}; shorten it, or raise --max-field-size`;
}

/** A NUL in a value: in a text file it also says the file may not be text at all. */
export function containsNul(column: string, textFile: boolean): string {
  return textFile
    ? `${column}: contains a NUL byte (binary data?); remove it, and check that the file was exported as text`
    : `${column}: contains a NUL character (binary data?); remove it`;
}

/** `extra values "a", "b" and 3 more were cut off`: the first few of `total` values right of the header. */
export function extrasCutOff(listed: readonly string[], total: number): string {
  const more = total > listed.length ? ` and ${fmt(total - listed.length)} more` : '';
  return `extra values ${listed.join(', ')}${more} were cut off`;
}

/**
 * A malformed row's message: where it is (`line 4`, `sheet "S" row 4`), then its first few
 * problems, and how many more there are. A problem that starts by naming its column follows a
 * comma (`line 4, column "email": …`), any other a colon.
 */
export function malformedMessage(where: string, problems: readonly string[], total = problems.length): string {
  const first = problems[0]!;
  let message = first.startsWith('column ') ? `${where}, ${first}` : `${where}: ${first}`;
  const listed = Math.min(problems.length, MAX_PROBLEMS_LISTED);
  for (let i = 1; i < listed; i++) message += `; ${problems[i]}`;
  if (total > listed) message += `; and ${total - listed} more problems in this row`;
  return message;
}

/** A header wider than maxColumns; `advice` says what the reader thinks went wrong. */
export function tooManyColumns(where: string, columns: number, maxColumns: number, advice: string): string {
  return `${where}: the header has ${fmt(columns)} columns, more than the ${maxColumns} accepted: ${advice}`;
}

/** What to do with a file the workbook reader cannot read. */
export const XLSX_ADVICE = 'save it as .xlsx (File > Save As > Excel Workbook) or as CSV';

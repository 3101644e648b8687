// The CSV reader's checks: a header it can trust, and each record turned into a `record` or a
// `malformed` one with a message that names the line, the column and what to do. Runs once per
// record on the dry run's hot path: no allocation unless the record has a problem.
import type { CsvError } from 'csv-parse';
import type { SourceRecord } from '../types.js';
import { SourceError } from './errors.js';
import { fmt, MAX_EXTRAS_LISTED, preview, utf8Over, type Limits } from './limits.js';
import { columnName, containsNul, extrasCutOff, malformedMessage, tooLong, tooManyColumns } from './messages.js';

/** A CSV numbers its columns from 1. */
const csvColumn = (header: readonly string[], i: number): string => columnName(header[i], String(i + 1));

/** Physical line breaks inside a record's values (CRLF, CR, LF each count once), for line numbers. */
export function lineBreaks(values: readonly string[]): number {
  let n = 0;
  for (const v of values) {
    if (v.indexOf('\n') === -1 && v.indexOf('\r') === -1) continue;
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      if (c === 0x0d) {
        n++;
        if (v.charCodeAt(i + 1) === 0x0a) i++;
      } else if (c === 0x0a) n++;
    }
  }
  return n;
}

/** What csv-parse's error means for the person who has to fix the file. */
export function describeCsvError(err: CsvError): string {
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field is never closed: everything from here to the end of the file was read as one field; close the quote (or double the quote inside the field) and import these rows again';
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return 'text follows a closing quote in a field; a quote inside a quoted field must be doubled ("")';
    default:
      return err.message;
  }
}

/**
 * Throws a SourceError for a header the rows cannot be read against: too wide, with no names,
 * binary, in the wrong encoding (`invalidBytes`: what to say about U+FFFD, when it can mean
 * that), or with a column too long to be a name.
 */
export function checkHeader(path: string, header: readonly string[], line: number, limits: Limits, invalidBytes: string | undefined): void {
  const where = `${path}, line ${line}`;
  if (header.length > limits.maxColumns) {
    throw new SourceError(
      tooManyColumns(where, header.length, limits.maxColumns, 'the first line is probably not a header row, or the delimiter is wrong (pass --delimiter)'),
    );
  }
  if (header.every((h) => h.trim() === '')) {
    throw new SourceError(
      `${where}: the header row has no column names: the first line must name the columns (e.g. name,email,phone); if the spreadsheet starts with an empty row, delete it`,
    );
  }
  for (let i = 0; i < header.length; i++) {
    const name = header[i]!;
    if (name.includes('\0')) {
      throw new SourceError(
        `${where}: the header contains NUL bytes: the file is binary, or UTF-16 text without a byte-order mark ` +
          '(then pass --encoding utf-16le or --encoding utf-16be)',
      );
    }
    if (invalidBytes && name.includes('\uFFFD')) {
      throw new SourceError(`${where}, ${csvColumn(header, i)} of the header: ${invalidBytes}`);
    }
    const size = utf8Over(name, limits.maxFieldBytes);
    if (size !== false) {
      throw new SourceError(
        `${where}: header column ${i + 1} is ${fmt(size)} bytes long: the first line is probably not a header row, or a quote in it is never closed`,
      );
    }
  }
}

function fieldCountProblem(record: readonly string[], width: number): string {
  if (record.length < width) {
    return `row has ${fmt(record.length)} fields but the header has ${fmt(width)} (a line break inside an unquoted value, or missing delimiters?)`;
  }
  const extra = record.slice(width);
  const listed = extra.slice(0, MAX_EXTRAS_LISTED).map((v) => JSON.stringify(preview(v)));
  return `row has ${fmt(record.length)} fields but the header has ${fmt(width)}; ${extrasCutOff(listed, extra.length)} (an unquoted delimiter inside a value?)`;
}

/**
 * A parsed record against the header: a `record`, or a `malformed` one whose values are aligned
 * with the header (cut or padded; an oversized value cut to its start) and whose message lists
 * what is wrong.
 */
export function checkRecord(
  record: string[],
  row: number,
  line: number,
  header: readonly string[],
  limits: Limits,
  invalidBytes: string | undefined,
): SourceRecord {
  const width = header.length;
  let problems: string[] | undefined;
  let values = record;
  if (record.length !== width) {
    values = record.slice(0, width);
    while (values.length < width) values.push('');
    problems = [fieldCountProblem(record, width)];
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v.length === 0) continue;
    const size = utf8Over(v, limits.maxFieldBytes);
    if (size !== false) {
      (problems ??= []).push(tooLong(csvColumn(header, i), 'field', size, limits.maxFieldBytes));
      if (values === record) values = record.slice();
      values[i] = preview(v);
      continue;
    }
    if (v.includes('\0')) {
      (problems ??= []).push(containsNul(csvColumn(header, i), true));
    } else if (invalidBytes && v.includes('\uFFFD')) {
      (problems ??= []).push(`${csvColumn(header, i)}: ${invalidBytes}`);
    }
  }
  if (!problems) return { kind: 'record', row, line, values };
  return { kind: 'malformed', row, line, values, message: malformedMessage(`line ${line}`, problems) };
}

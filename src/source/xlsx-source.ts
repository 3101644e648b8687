// Source stage for .xlsx workbooks: one worksheet → the same records the CSV source yields.
//
// Row numbers are the sheet's own (`row` and `line` alike), so a row named in the results or
// failures file is the row a person finds in Excel; rows missing from the file (never touched
// in Excel) are not invented, and rows present but empty are yielded empty, which the pipeline
// counts as skipped.
//
// Values are the text a person sees (see xlsx-format.ts). A number cell holds a number, never
// text: a `+` or a leading `0` typed into it is gone before the file is saved, unless its number
// format shows it (00000, "+"0). Phones and IDs keep them only when stored as text.
//
// Streaming: the sheet is decompressed and parsed chunk by chunk as the consumer pulls rows, so
// memory holds one chunk's rows (each bounded by the header width and maxFieldBytes) plus the
// shared string table, which the format makes every reader keep whole.
import { closeSync, fstatSync, openSync, readSync, type ReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { SourceRecord } from '../types.js';
import type { CsvSource } from './csv-source.js';
import { SourceError } from './errors.js';
import { formatNumber, decodeXString, isoDateText, type NumberFormat } from './xlsx-format.js';
import {
  openZip,
  readSharedStrings,
  readStyles,
  readWorkbook,
  SharedStringsTooLarge,
  TextBuffer,
  XmlPush,
  type SharedString,
  type SheetInfo,
  type XmlHandlers,
  type Zip,
} from './xlsx-parts.js';

export interface XlsxSourceOptions {
  /** Worksheet name, matched ignoring case; undefined = the first visible worksheet. */
  sheet?: string;
  /** Most columns the header may have. @default 1000 */
  maxColumns?: number;
  /** Largest cell, in bytes as UTF-8; a larger one makes its row malformed. @default 65536 */
  maxFieldBytes?: number;
  /** Most memory the shared string table may take (estimated); more stops with a SourceError. @default 512 MiB */
  maxSharedStringsBytes?: number;
}

/** The CSV source's interface, plus the worksheet read. */
export interface XlsxSource extends CsvSource {
  /** The worksheet's name as the workbook spells it (for messages, and to tell runs apart). */
  sheet: string;
}

// The same defaults as the CSV source, so a workbook and its CSV export are held to one standard.
const DEFAULT_MAX_FIELD_BYTES = 64 * 1024;
const DEFAULT_MAX_COLUMNS = 1000;
const DEFAULT_MAX_SHARED_STRINGS_BYTES = 512 * 1024 * 1024;
const OVERSIZED_VALUE_KEEP_CHARS = 100;
/** Excel's last column, XFD. */
const MAX_SHEET_COLUMNS = 16_384;
const MAX_PROBLEMS_LISTED = 3;
const MAX_EXTRAS_LISTED = 5;

const ADVICE = 'save it as .xlsx (File > Save As > Excel Workbook) or as CSV';

function positiveInt(name: string, value: number | undefined, dflt: number): number {
  if (value === undefined) return dflt;
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a whole number of at least 1; got ${value}`);
  return value;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/** A: 1, Z: 26, AA: 27… */
export function columnLetters(col: number): string {
  let s = '';
  for (let n = col; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

/** Column number of a cell reference such as `AB12`; undefined when it has no letters. */
function columnOf(ref: string): number | undefined {
  let col = 0;
  let i = 0;
  for (; i < ref.length; i++) {
    const c = ref.charCodeAt(i) | 0x20;
    if (c < 0x61 || c > 0x7a) break;
    col = col * 26 + (c - 0x60);
    if (col > MAX_SHEET_COLUMNS) return MAX_SHEET_COLUMNS + 1;
  }
  return i === 0 ? undefined : col;
}

/** At most `n` UTF-16 units, never splitting a surrogate pair. */
function head(value: string, n: number): string {
  if (value.length <= n) return value;
  const code = value.charCodeAt(n - 1);
  return value.slice(0, code >= 0xd800 && code <= 0xdbff ? n - 1 : n);
}

const preview = (v: string): string => (v.length > OVERSIZED_VALUE_KEEP_CHARS ? head(v, OVERSIZED_VALUE_KEEP_CHARS) + '…' : v);

/** What the first bytes say the file is, when it is not a zip. */
function sniff(path: string): { size: number } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new SourceError(`cannot read input file ${path}: ${(e as Error).message}`);
  }
  try {
    const size = fstatSync(fd).size;
    const b = Buffer.alloc(Math.min(size, 512));
    readSync(fd, b, 0, b.length, 0);
    if (size === 0) throw new SourceError(`${path} is empty: it is not an .xlsx workbook; ${ADVICE}`);
    if (b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04) return { size };
    if (b.length >= 8 && b.readUInt32BE(0) === 0xd0cf11e0 && b.readUInt32BE(4) === 0xa1b11ae1) {
      throw new SourceError(
        `${path} is not an .xlsx workbook: it is an old-style Excel .xls file or a password-protected workbook; ` +
          `open it in Excel and ${ADVICE.replace('save it', 'save it without a password')}`,
      );
    }
    const text = b.toString('latin1');
    // UTF-16 text (Excel's "Unicode Text") is full of NULs but starts with a byte-order mark.
    const looksText = (b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff) || !/[\x00-\x08\x0e-\x1a]/.test(text);
    if (looksText && /^\s*</.test(text)) {
      throw new SourceError(`${path} is not an .xlsx workbook: it is an XML or HTML file (some programs save those with an .xls name); ${ADVICE}`);
    }
    throw new SourceError(
      looksText
        ? `${path} is not an .xlsx workbook: it is a text file (CSV?); if it is CSV, give it a .csv name, otherwise ${ADVICE}`
        : `${path} is not an .xlsx workbook (it is not a zip archive); ${ADVICE}`,
    );
  } catch (e) {
    if (e instanceof SourceError) throw e;
    throw new SourceError(`cannot read input file ${path}: ${(e as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

function describeSheets(sheets: readonly SheetInfo[]): string {
  return sheets
    .filter((s) => s.isWorksheet)
    .map((s) => JSON.stringify(s.name) + (s.state === 'hidden' || s.state === 'veryHidden' ? ' (hidden)' : ''))
    .join(', ');
}

function chooseSheet(path: string, sheets: readonly SheetInfo[], wanted: string | undefined): SheetInfo {
  const worksheets = sheets.filter((s) => s.isWorksheet && s.part !== undefined);
  if (worksheets.length === 0) throw new SourceError(`${path} has no worksheets (only charts or macros?); ${ADVICE}`);
  if (wanted === undefined) {
    // The first tab a person sees; a hidden first sheet is usually a lookup table.
    return worksheets.find((s) => s.state !== 'hidden' && s.state !== 'veryHidden') ?? worksheets[0]!;
  }
  const key = wanted.normalize('NFC').toLowerCase();
  const found = sheets.find((s) => s.name.normalize('NFC').toLowerCase() === key);
  if (!found) throw new SourceError(`${path} has no sheet named ${JSON.stringify(wanted)}; its sheets are ${describeSheets(sheets)}`);
  if (!found.isWorksheet || found.part === undefined) {
    throw new SourceError(`${path}: sheet ${JSON.stringify(found.name)} is not a worksheet (a chart?); its worksheets are ${describeSheets(sheets)}`);
  }
  return found;
}

/** One row as parsed: values aligned with the header once it is known. */
interface ParsedRow {
  r: number;
  values: string[];
  /** Non-empty cells right of the header (the first few, for the message) and their count. */
  extras: Array<{ col: number; text: string }>;
  extraCount: number;
  problems: string[];
  problemCount: number;
}

/** The header row, found by the parser itself so the rows after it in the same chunk use it. */
interface HeaderRow {
  r: number;
  values: string[];
}

interface SheetContext {
  path: string;
  sheetName: string;
  formats: NumberFormat[];
  date1904: boolean;
  shared: SharedString[] | undefined;
  maxFieldBytes: number;
  maxColumns: number;
}

/** Thrown from inside the XML handlers for problems that concern the whole sheet. */
class SheetError extends SourceError {}

class SheetParser implements XmlHandlers {
  readonly rows: ParsedRow[] = [];
  header: HeaderRow | undefined;
  private width = 0;

  private inData = false;
  private row: ParsedRow | undefined;
  /** Before the header: the row's cells by column, and its last non-empty column. */
  private pre: { cells: string[]; last: number; problems: string[]; nonBlank: boolean } | undefined;
  private lastR = 0;
  private nextCol = 1;

  private inCell = false;
  private col = 0;
  private type = 'n';
  private style = 0;
  private hasValue = false;
  private hasFormula = false;
  private capture = false;
  private inInline = false;
  private phonetic = 0;
  private readonly buf: TextBuffer;

  constructor(private readonly ctx: SheetContext) {
    this.buf = new TextBuffer(ctx.maxFieldBytes, OVERSIZED_VALUE_KEEP_CHARS);
  }

  private where(r: number): string {
    return `sheet ${JSON.stringify(this.ctx.sheetName)} row ${r}`;
  }

  private columnName(col: number): string {
    const name = this.header?.values[col - 1];
    return name === undefined || name.trim() === '' ? `column ${columnLetters(col)}` : `column ${JSON.stringify(head(name, 60))} (${columnLetters(col)})`;
  }

  open(name: string, a: Record<string, string>): void {
    switch (name) {
      case 'sheetData':
        this.inData = true;
        return;
      case 'row': {
        if (!this.inData) return;
        const rAttr = a.r;
        const r = rAttr === undefined ? this.lastR + 1 : Number(rAttr);
        if (!Number.isSafeInteger(r) || r < 1) throw new SheetError(`${this.ctx.path}: ${this.where(this.lastR + 1)} has the row number ${JSON.stringify(rAttr)}: the workbook is damaged; open it in Excel and ${ADVICE}`);
        // Resume and the output files key rows by number: a number seen twice would merge rows.
        if (r <= this.lastR) throw new SheetError(`${this.ctx.path}: ${this.where(r)} comes after row ${this.lastR}: the workbook is damaged; open it in Excel and ${ADVICE}`);
        this.lastR = r;
        this.nextCol = 1;
        if (this.header) {
          this.row = { r, values: new Array<string>(this.width).fill(''), extras: [], extraCount: 0, problems: [], problemCount: 0 };
        } else {
          this.pre = { cells: [], last: 0, problems: [], nonBlank: false };
        }
        return;
      }
      case 'c': {
        if (!this.row && !this.pre) return;
        const ref = a.r;
        const col = ref === undefined ? this.nextCol : (columnOf(ref) ?? this.nextCol);
        this.inCell = true;
        this.col = col;
        this.nextCol = col + 1;
        this.type = a.t ?? 'n';
        this.style = a.s === undefined ? 0 : Number(a.s) || 0;
        this.hasValue = false;
        this.hasFormula = false;
        this.capture = false;
        this.inInline = false;
        this.phonetic = 0;
        return;
      }
      case 'v':
        if (this.inCell && !this.inInline) {
          this.hasValue = true;
          this.capture = true;
        }
        return;
      case 'f':
        if (this.inCell) this.hasFormula = true;
        return;
      case 'is':
        if (this.inCell) {
          this.inInline = true;
          this.hasValue = true;
        }
        return;
      case 'rPh':
        if (this.inInline) this.phonetic++;
        return;
      case 't':
        if (this.inInline && this.phonetic === 0) this.capture = true;
        return;
    }
  }

  text(t: string): void {
    if (this.capture) this.buf.append(t);
  }

  close(name: string): void {
    switch (name) {
      case 'v':
      case 't':
        this.capture = false;
        return;
      case 'rPh':
        if (this.phonetic > 0) this.phonetic--;
        return;
      case 'is':
        this.inInline = false;
        return;
      case 'c':
        if (this.inCell) this.finishCell();
        return;
      case 'row':
        this.finishRow();
        return;
      case 'sheetData':
        this.inData = false;
        return;
    }
  }

  /** The cell's text as shown, or a problem that makes its row malformed. */
  private cellText(): { text: string; problem?: string } {
    const raw = this.buf.take();
    const tooLong = (bytes: number): string =>
      `${this.columnName(this.col)}: value is ${fmt(bytes)} bytes long, more than --max-field-size ${this.ctx.maxFieldBytes}; shorten it, or raise --max-field-size`;
    if (typeof raw !== 'string') return { text: raw.preview + '…', problem: tooLong(raw.bytes) };
    if (this.hasFormula && !this.hasValue) {
      return {
        text: '',
        problem: `${this.columnName(this.col)}: a formula with no saved result (the file was written by a program that does not calculate formulas); open it in Excel and save it again`,
      };
    }
    switch (this.type) {
      case 's': {
        if (raw.trim() === '') return { text: '' };
        const index = Number(raw);
        const s = Number.isInteger(index) && index >= 0 ? this.ctx.shared?.[index] : undefined;
        if (s === undefined) {
          return { text: '', problem: `${this.columnName(this.col)}: refers to shared text #${raw.trim()}, which the workbook does not have (the file is damaged)` };
        }
        return typeof s === 'string' ? { text: s } : { text: s.preview + '…', problem: tooLong(s.bytes) };
      }
      case 'inlineStr':
      case 'str':
        return { text: decodeXString(raw) };
      case 'b':
        return { text: raw === '' ? '' : raw.trim() === '1' || raw.trim().toLowerCase() === 'true' ? 'TRUE' : 'FALSE' };
      case 'e':
        return { text: raw };
      case 'd':
        return { text: isoDateText(raw, this.format()) };
      default: {
        if (raw.trim() === '') return { text: '' };
        const n = Number(raw);
        return { text: Number.isFinite(n) ? formatNumber(n, this.format(), this.ctx.date1904) : raw };
      }
    }
  }

  private format(): NumberFormat {
    return this.ctx.formats[this.style] ?? { kind: 'general' };
  }

  private finishCell(): void {
    this.inCell = false;
    this.capture = false;
    const col = this.col;
    let { text, problem } = this.cellText();
    if (!problem && text.includes('\0')) {
      problem = `${this.columnName(col)}: contains a NUL character (binary data?); remove it`;
    }
    if (this.pre) {
      if (text.trim() !== '') this.pre.nonBlank = true;
      if (text !== '' || problem) {
        this.pre.last = Math.max(this.pre.last, col);
        if (col <= this.ctx.maxColumns) this.pre.cells[col - 1] = text;
      }
      if (problem && this.pre.problems.length < MAX_PROBLEMS_LISTED) this.pre.problems.push(problem);
      return;
    }
    const row = this.row;
    if (!row) return;
    if (col <= this.width) {
      row.values[col - 1] = text;
      if (problem) {
        row.problemCount++;
        if (row.problems.length < MAX_PROBLEMS_LISTED) row.problems.push(problem);
      }
    } else if (text !== '') {
      row.extraCount++;
      if (row.extras.length < MAX_EXTRAS_LISTED) row.extras.push({ col, text: preview(text) });
    }
  }

  private finishRow(): void {
    if (this.row) {
      this.rows.push(this.row);
      this.row = undefined;
      return;
    }
    const pre = this.pre;
    this.pre = undefined;
    if (!pre || !pre.nonBlank) return;
    this.takeHeader(pre);
  }

  private takeHeader(pre: { cells: string[]; last: number; problems: string[] }): void {
    const where = `${this.ctx.path}, ${this.where(this.lastR)}`;
    if (pre.last > this.ctx.maxColumns) {
      throw new SheetError(
        `${where}: the header has ${fmt(pre.last)} columns, more than the ${this.ctx.maxColumns} accepted: the first non-empty row of the sheet must name the columns`,
      );
    }
    const values = Array.from({ length: pre.last }, (_, i) => pre.cells[i] ?? '');
    this.header = { r: this.lastR, values };
    if (pre.problems.length > 0) throw new SheetError(`${where}, header: ${pre.problems[0]!}`);
    this.width = pre.last;
  }
}

function malformedMessage(where: string, row: ParsedRow, width: number): string {
  const problems: string[] = [];
  if (row.extraCount > 0) {
    const listed = row.extras.map((e) => `${JSON.stringify(e.text)} (${columnLetters(e.col)})`);
    const more = row.extraCount > row.extras.length ? ` and ${fmt(row.extraCount - row.extras.length)} more` : '';
    problems.push(
      `row has values right of the header's ${fmt(width)} columns; extra values ${listed.join(', ')}${more} were cut off (name their column in the header row, or delete them)`,
    );
  }
  problems.push(...row.problems);
  const total = (row.extraCount > 0 ? 1 : 0) + row.problemCount;
  const listed = problems.slice(0, MAX_PROBLEMS_LISTED);
  const first = listed[0]!;
  let message = first.startsWith('column ') ? `${where}, ${first}` : `${where}: ${first}`;
  for (const p of listed.slice(1)) message += `; ${p}`;
  if (total > listed.length) message += `; and ${total - listed.length} more problems in this row`;
  return message;
}

/**
 * Opens one worksheet of an .xlsx workbook as a source of records, with the same interface (and
 * the same malformed-row rules) as the CSV source.
 */
export async function openXlsxSource(path: string, opts: XlsxSourceOptions = {}): Promise<XlsxSource> {
  const maxFieldBytes = positiveInt('maxFieldBytes', opts.maxFieldBytes, DEFAULT_MAX_FIELD_BYTES);
  const maxColumns = positiveInt('maxColumns', opts.maxColumns, DEFAULT_MAX_COLUMNS);
  const maxSharedBytes = positiveInt('maxSharedStringsBytes', opts.maxSharedStringsBytes, DEFAULT_MAX_SHARED_STRINGS_BYTES);
  const { size } = sniff(path);

  let zip: Zip;
  try {
    zip = await openZip(path, size);
  } catch (e) {
    throw new SourceError(`${path} is not a readable .xlsx workbook: the zip archive is damaged or incomplete (${(e as Error).message}); ${ADVICE}`);
  }
  const destroyStreams = (): void => {
    for (const s of zip.streams) s.destroy();
  };

  let sheetFile: ReadStream | undefined;
  let sheetCompressed = 1;
  let finished = false;
  let closed = false;
  let entryStream: Readable;
  let parser: SheetParser;
  let xml: XmlPush;
  let sheetName: string;
  try {
    if (zip.entries.has('mimetype') && zip.entries.has('content.xml')) {
      throw new SourceError(`${path} is an OpenDocument spreadsheet (.ods), not an .xlsx workbook; ${ADVICE}`);
    }
    let book;
    try {
      book = await readWorkbook(zip);
    } catch (e) {
      throw new SourceError(`${path} is not a readable .xlsx workbook: its workbook part is damaged (${(e as Error).message}); ${ADVICE}`);
    }
    if (book === 'binary') throw new SourceError(`${path} is an Excel binary workbook (.xlsb), not an .xlsx workbook; ${ADVICE}`);
    if (!book) throw new SourceError(`${path} is a zip archive, not an .xlsx workbook (it has no workbook part); ${ADVICE}`);
    const sheet = chooseSheet(path, book.sheets, opts.sheet);
    sheetName = sheet.name;
    const entry = zip.entries.get(sheet.part!.toLowerCase());
    if (!entry) throw new SourceError(`${path}: sheet ${JSON.stringify(sheet.name)} is missing from the file (the workbook is damaged); ${ADVICE}`);

    let formats: NumberFormat[];
    let shared: SharedString[] | undefined;
    try {
      formats = await readStyles(zip, book);
      shared = await readSharedStrings(zip, book, maxFieldBytes, OVERSIZED_VALUE_KEEP_CHARS, maxSharedBytes);
    } catch (e) {
      if (e instanceof SharedStringsTooLarge) {
        throw new SourceError(`${path}: the workbook's text takes more than ${fmt(Math.round(maxSharedBytes / 1048576))} MiB of memory to read; save the sheet as CSV and import that`);
      }
      throw new SourceError(`${path} is not a readable .xlsx workbook: its styles or shared text are damaged (${(e as Error).message}); ${ADVICE}`);
    }

    parser = new SheetParser({ path, sheetName, formats, date1904: book.date1904, shared, maxFieldBytes, maxColumns });
    xml = new XmlPush(parser);
    sheetCompressed = Math.max(1, entry.compressedSize);
    const before = new Set(zip.streams);
    entryStream = zip.open(entry);
    for (const s of zip.streams) if (!before.has(s)) sheetFile = s;
  } catch (e) {
    destroyStreams();
    throw e;
  }

  const chunks = entryStream[Symbol.asyncIterator]();
  let ended = false;
  let taken = 0;
  let lastRow = 0;

  const closeAll = (): void => {
    closed = true;
    // unzipper may still report on the stream it was feeding; nobody is listening any more.
    entryStream.on('error', () => {});
    entryStream.destroy();
    destroyStreams();
  };

  let failure: unknown;
  /** Parses one more chunk of the sheet; false at its end. */
  const pump = async (): Promise<boolean> => {
    if (failure !== undefined) {
      const e = failure;
      failure = undefined;
      ended = true;
      if (e instanceof SourceError) throw e;
      const after = lastRow > 0 ? ` after row ${lastRow}` : '';
      throw new SourceError(
        `${path}: sheet ${JSON.stringify(sheetName)} cannot be read${after}: the workbook is damaged or incomplete (${(e as Error).message}); open it in Excel and ${ADVICE}`,
      );
    }
    if (ended) return false;
    try {
      const chunk = await chunks.next();
      if (chunk.done) {
        ended = true;
        xml.end();
      } else xml.write(chunk.value as Buffer);
    } catch (e) {
      if (closed) return false;
      // The rows completed before the damage are good: they go out first, then the error.
      failure = e;
    }
    return true;
  };

  /** The next data row, parsing as much of the sheet as that takes; undefined at the end. */
  const nextRow = async (): Promise<ParsedRow | undefined> => {
    const rows = parser.rows;
    while (!closed && taken >= rows.length) {
      rows.length = 0;
      taken = 0;
      if (!(await pump())) return undefined;
    }
    if (closed) return undefined;
    const row = rows[taken++]!;
    lastRow = row.r;
    return row;
  };

  let header: string[];
  try {
    // The parser takes the first non-empty row as the header as soon as it meets it, so the rows
    // after it in the same chunk are already read against it.
    while (!parser.header) {
      if (!(await pump())) {
        throw new SourceError(`${path}: sheet ${JSON.stringify(sheetName)} is empty: its first non-empty row must name the columns (e.g. Name, Email, Phone)`);
      }
    }
    header = parser.header.values;
  } catch (e) {
    closeAll();
    throw e;
  }
  const width = header.length;
  const where = (r: number): string => `sheet ${JSON.stringify(sheetName)} row ${r}`;

  async function* records(): AsyncGenerator<SourceRecord> {
    try {
      for (;;) {
        const row = await nextRow();
        if (!row) break;
        if (row.extraCount === 0 && row.problemCount === 0) {
          yield { kind: 'record', row: row.r, line: row.r, values: row.values };
        } else {
          yield { kind: 'malformed', row: row.r, line: row.r, values: row.values, message: malformedMessage(where(row.r), row, width) };
        }
      }
      if (!closed) finished = true;
    } finally {
      closeAll();
    }
  }

  return {
    header,
    sheet: sheetName,
    // No delimiter and no text encoding apply to a workbook; these say so to whoever prints them.
    delimiter: '',
    encoding: 'utf-8',
    encodingReason: 'an .xlsx workbook, whose text is always Unicode',
    records: records(),
    bytesRead: () => {
      if (finished) return size;
      if (!sheetFile) return 0;
      return Math.min(size, Math.floor((size * Math.min(sheetFile.bytesRead, sheetCompressed)) / sheetCompressed));
    },
    close: closeAll,
  };
}


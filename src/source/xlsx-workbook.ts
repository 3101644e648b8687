// Opening an .xlsx workbook down to the one worksheet to read: telling a workbook from what only
// bears its name (a CSV, an old .xls, an .ods…), choosing the sheet, and reading the parts its
// cells need (number formats, shared text). The sheet's rows themselves are read by xlsx-sheet.ts.
import { SourceError } from './errors.js';
import { readStart } from './file.js';
import { XLSX_ADVICE as ADVICE } from './messages.js';
import type { NumberFormat } from './xlsx-format.js';
import { openZip, readSharedStrings, readStyles, readWorkbook, type SharedString, type SheetInfo, type Zip, type ZipEntry } from './xlsx-parts.js';

/** Bytes read to tell what the file is. */
const SNIFF_BYTES = 512;

/** Throws a SourceError that says what the file is when it is not a zip; returns its size. */
function checkIsZip(path: string): number {
  const { bytes: b, size } = readStart(path, SNIFF_BYTES);
  if (size === 0) throw new SourceError(`${path} is empty: it is not an .xlsx workbook; ${ADVICE}`);
  if (b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04) return size;
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

/** A workbook opened down to one worksheet, which is not read yet. */
export interface OpenedSheet {
  zip: Zip;
  /** The file's size in bytes. */
  size: number;
  /** The worksheet's name as the workbook spells it. */
  sheetName: string;
  entry: ZipEntry;
  formats: NumberFormat[];
  date1904: boolean;
  shared: SharedString[] | undefined;
}

export interface WorksheetOptions {
  /** Worksheet name, matched ignoring case; undefined = the first visible worksheet. */
  sheet: string | undefined;
  maxFieldBytes: number;
  maxSharedStringsBytes: number;
}

/** Throws a SourceError for anything that is not a readable workbook with that worksheet. */
export async function openWorksheet(path: string, opts: WorksheetOptions): Promise<OpenedSheet> {
  const size = checkIsZip(path);
  let zip: Zip;
  try {
    zip = await openZip(path, size);
  } catch (e) {
    throw new SourceError(`${path} is not a readable .xlsx workbook: the zip archive is damaged or incomplete (${(e as Error).message}); ${ADVICE}`, { cause: e });
  }
  try {
    if (zip.entries.has('mimetype') && zip.entries.has('content.xml')) {
      throw new SourceError(`${path} is an OpenDocument spreadsheet (.ods), not an .xlsx workbook; ${ADVICE}`);
    }
    let book;
    try {
      book = await readWorkbook(zip);
    } catch (e) {
      throw new SourceError(`${path} is not a readable .xlsx workbook: its workbook part is damaged (${(e as Error).message}); ${ADVICE}`, { cause: e });
    }
    if (book === 'binary') throw new SourceError(`${path} is an Excel binary workbook (.xlsb), not an .xlsx workbook; ${ADVICE}`);
    if (!book) throw new SourceError(`${path} is a zip archive, not an .xlsx workbook (it has no workbook part); ${ADVICE}`);
    const sheet = chooseSheet(path, book.sheets, opts.sheet);
    const entry = zip.entries.get(sheet.part!.toLowerCase());
    if (!entry) throw new SourceError(`${path}: sheet ${JSON.stringify(sheet.name)} is missing from the file (the workbook is damaged); ${ADVICE}`);
    let formats: NumberFormat[];
    let shared: SharedString[] | undefined;
    try {
      formats = await readStyles(zip, book);
      shared = await readSharedStrings(zip, book, opts.maxFieldBytes, opts.maxSharedStringsBytes);
    } catch (e) {
      if (e instanceof SourceError) throw e;
      throw new SourceError(`${path} is not a readable .xlsx workbook: its styles or shared text are damaged (${(e as Error).message}); ${ADVICE}`, { cause: e });
    }
    return { zip, size, sheetName: sheet.name, entry, formats, date1904: book.date1904, shared };
  } catch (e) {
    for (const s of zip.streams) s.destroy();
    throw e;
  }
}

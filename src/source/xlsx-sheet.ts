// A worksheet's XML → rows of text, as a person sees them in Excel (see xlsx-format.ts). The first
// non-empty row is the header; every row after it is aligned with the header's columns and
// carries the problems that make it malformed. Problems that concern the whole sheet (damaged row
// numbers, an unusable header) are thrown as SheetError from inside the XML handlers.
import { SheetError } from './errors.js';
import { fmt, MAX_EXTRAS_LISTED, MAX_PROBLEMS_LISTED, preview } from './limits.js';
import { columnName, containsNul, extrasCutOff, malformedMessage, tooLong, tooManyColumns, XLSX_ADVICE } from './messages.js';
import { decodeXString, formatNumber, isoDateText, type NumberFormat } from './xlsx-format.js';
import { TextBuffer, type SharedString, type XmlHandlers } from './xlsx-parts.js';

/** Excel's last column, XFD. */
const MAX_SHEET_COLUMNS = 16_384;

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

/** One row as parsed: values aligned with the header. */
export interface ParsedRow {
  /** The sheet's own row number. */
  r: number;
  values: string[];
  /** Non-empty cells right of the header (the first few, for the message) and their count. */
  extras: Array<{ col: number; text: string }>;
  extraCount: number;
  /** The first few problems of the row's cells, and their count. */
  problems: string[];
  problemCount: number;
}

/** A row before the header: its cells by column, and its last non-empty column. */
interface PreHeaderRow {
  cells: string[];
  last: number;
  problems: string[];
  nonBlank: boolean;
}

export interface SheetContext {
  path: string;
  sheetName: string;
  formats: NumberFormat[];
  date1904: boolean;
  shared: SharedString[] | undefined;
  maxFieldBytes: number;
  maxColumns: number;
}

/** `sheet "Contacts" row 12`: where a row is, in messages. */
const sheetRow = (sheetName: string, r: number): string => `sheet ${JSON.stringify(sheetName)} row ${r}`;

/**
 * The XML handlers of a worksheet. Rows completed by a chunk of XML collect in `rows`, which the
 * reader drains; the header is taken as soon as it is met, so rows after it in the same chunk are
 * read against it.
 */
export class SheetParser implements XmlHandlers {
  readonly rows: ParsedRow[] = [];
  header: string[] | undefined;
  private width = 0;

  private inData = false;
  private row: ParsedRow | undefined;
  private pre: PreHeaderRow | undefined;
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
    this.buf = new TextBuffer(ctx.maxFieldBytes);
  }

  private columnName(col: number): string {
    const letters = columnLetters(col);
    return columnName(this.header?.[col - 1], letters, ` (${letters})`);
  }

  private damaged(r: number, what: string): SheetError {
    return new SheetError(`${this.ctx.path}: ${sheetRow(this.ctx.sheetName, r)} ${what}: the workbook is damaged; open it in Excel and ${XLSX_ADVICE}`);
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
        if (!Number.isSafeInteger(r) || r < 1) throw this.damaged(this.lastR + 1, `has the row number ${JSON.stringify(rAttr)}`);
        // Resume and the output files key rows by number: a number seen twice would merge rows.
        if (r <= this.lastR) throw this.damaged(r, `comes after row ${this.lastR}`);
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

  dropped(chars: number): void {
    if (this.capture) this.buf.addDropped(chars);
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
    if (typeof raw !== 'string') return { text: raw.preview + '…', problem: tooLong(this.columnName(this.col), 'value', raw.bytes, this.ctx.maxFieldBytes) };
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
        return typeof s === 'string' ? { text: s } : { text: s.preview + '…', problem: tooLong(this.columnName(this.col), 'value', s.bytes, this.ctx.maxFieldBytes) };
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
    if (!problem && text.includes('\0')) problem = containsNul(this.columnName(col), false);
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

  private takeHeader(pre: PreHeaderRow): void {
    const where = `${this.ctx.path}, ${sheetRow(this.ctx.sheetName, this.lastR)}`;
    if (pre.last > this.ctx.maxColumns) {
      throw new SheetError(tooManyColumns(where, pre.last, this.ctx.maxColumns, 'the first non-empty row of the sheet must name the columns'));
    }
    this.header = Array.from({ length: pre.last }, (_, i) => pre.cells[i] ?? '');
    if (pre.problems.length > 0) throw new SheetError(`${where}, header: ${pre.problems[0]!}`);
    this.width = pre.last;
  }
}

/** A malformed row's message: values right of the header first, then its cells' problems. */
export function rowMessage(sheetName: string, row: ParsedRow, width: number): string {
  const problems: string[] = [];
  if (row.extraCount > 0) {
    const listed = row.extras.map((e) => `${JSON.stringify(e.text)} (${columnLetters(e.col)})`);
    problems.push(
      `row has values right of the header's ${fmt(width)} columns; ${extrasCutOff(listed, row.extraCount)} (name their column in the header row, or delete them)`,
    );
  }
  problems.push(...row.problems);
  return malformedMessage(sheetRow(sheetName, row.r), problems, (row.extraCount > 0 ? 1 : 0) + row.problemCount);
}

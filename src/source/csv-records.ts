// Decoded CSV text → records, with their physical line numbers, and a parser that starts again
// after a stray quote.
//
// A quote that opens a field and is never closed where it should be (a stray `"` typed into a
// note) makes a CSV parser read every line after it as one field, to the next quote or the end of
// the file: one bad character would cost every row after it. So the text since the start of the
// record being parsed is kept (bounded by the record size limit), and a record that can only be a
// stray quote's doing is failed as the one line where it started, and parsing starts again, fresh,
// on the line after it. A record is taken for a stray quote when:
//   - its quoted field is never closed (the end of the file, or the record size limit, comes first);
//   - its quoted field runs over more than MAX_QUOTED_FIELD_LINES lines (far more than any real
//     note; checked while parsing, so such a field is not read to its end);
//   - it spans several lines and has not the header's number of fields (the stray quote met a
//     real one further down, and the lines between were read as one field).
//
// csv-parse's synchronous core (the `api` behind its stream Parser) is driven directly: text in,
// records out, in the same turn, so it can be dropped and replaced at any record.
import { Parser, type CsvError, type Options as CsvOptions } from 'csv-parse';
import { fmt } from './limits.js';

/** A quoted field that runs over more lines than this is taken for a stray quote. */
export const MAX_QUOTED_FIELD_LINES = 100;
/** Characters of a failed record's text kept for the failures file (the rest is cut, with "…"). */
export const MAX_RAW_CHARS = 64 * 1024;
/** Text kept to parse again once the header is known (see `rewind`), in records of the size limit. */
const REPLAY_RECORDS = 4;

interface CsvApi {
  parse(buf: Buffer | undefined, end: boolean, push: (record: string[]) => void, close: () => void): CsvError | undefined;
  info: { bytes: number };
  state: { quoting: boolean };
}

export type TextItem =
  | {
      kind: 'record';
      values: string[];
      /** Physical line where the record starts, and where it ends. */
      line: number;
      lastLine: number;
      /** Decoded bytes consumed once this record is handed on (progress). */
      bytes: number;
      /** The record's text as read, line breaks inside it included (cut to MAX_RAW_CHARS). */
      text: () => string;
    }
  | {
      kind: 'stray';
      line: number;
      lastLine: number;
      bytes: number;
      /** The text of the line where the stray quote opened (cut to MAX_RAW_CHARS). */
      raw: string;
      /** Why: for the row's message, after `line N: `. */
      reason: string;
    };

export interface TextRecordsOptions {
  delimiter: string;
  /** Largest record in bytes: a bigger one is a quote never closed (see above). */
  maxRecordBytes: number;
  /** The header's width, once known: a multi-line record of another width is a stray quote's. */
  width?: number;
  /** @default MAX_QUOTED_FIELD_LINES */
  maxQuotedLines?: number;
  /**
   * Keep the text fed until `rewind` is called, so the records after the header can be parsed
   * again once its width is known (csv-source.ts: the first read holds up to 64 KB of rows).
   */
  replayable?: boolean;
}

/** Line breaks (CRLF, CR and LF each count once) in buf[from, to). */
function breaksIn(buf: Buffer, from: number, to: number, hasCr: boolean): number {
  let n = 0;
  for (let i = buf.indexOf(0x0a, from); i !== -1 && i < to; i = buf.indexOf(0x0a, i + 1)) n++;
  if (!hasCr) return n;
  for (let i = buf.indexOf(0x0d, from); i !== -1 && i < to; i = buf.indexOf(0x0d, i + 1)) if (i + 1 >= to || buf[i + 1] !== 0x0a) n++;
  return n;
}

/**
 * Whether a quoted field in buf[from, to) closes with text right after its closing quote: what a
 * stray quote does when it meets the opening quote of a real quoted value further down (`"Smith,
 * J"`: the stray closes at its first quote, and `Smith` follows). In a well-formed record a
 * closing quote is followed by a delimiter, a line break or the end. Only multi-line records are
 * scanned, so its cost is no concern.
 */
function closesBadly(buf: Buffer, from: number, to: number, delim: number): boolean {
  let fieldStart = true;
  let i = from;
  while (i < to) {
    const c = buf[i]!;
    if (fieldStart && c === 0x22) {
      i++;
      for (;;) {
        const q = buf.indexOf(0x22, i);
        if (q === -1 || q >= to) return false;
        if (q + 1 < to && buf[q + 1] === 0x22) {
          i = q + 2;
          continue;
        }
        const after = q + 1 < to ? buf[q + 1] : undefined;
        if (after !== undefined && after !== delim && after !== 0x0a && after !== 0x0d) return true;
        i = q + 1;
        break;
      }
      fieldStart = false;
      continue;
    }
    fieldStart = c === delim || c === 0x0a || c === 0x0d;
    i++;
  }
  return false;
}

/** Where the first line break at or after `from` ends (past CRLF), or `to` when there is none. */
function lineEnd(buf: Buffer, from: number, to: number): number {
  for (let i = from; i < to; i++) {
    const c = buf[i];
    if (c === 0x0a) return i + 1;
    if (c === 0x0d) return buf[i + 1] === 0x0a ? i + 2 : i + 1;
  }
  return to;
}

const cut = (text: string): string => (text.length > MAX_RAW_CHARS ? text.slice(0, MAX_RAW_CHARS) + '…' : text);

/**
 * Push decoded UTF-8 text in (`write`, then `end`); records come out in file order, each once.
 * Memory: the text of the record being parsed (at most about maxRecordBytes) and one chunk.
 */
export class TextRecords {
  private api!: CsvApi;
  /** Text fed but not yet handed on as records: from `base` (absolute) to the end of what was fed. */
  private pending: Buffer = Buffer.alloc(0);
  private base = 0;
  /** Physical line of pending[0]. */
  private baseLine = 1;
  /** Absolute offset where the current parser's input starts (its info.bytes count from there). */
  private apiBase = 0;
  private hasCr = false;
  /** All text fed since the start, while the header is being found (see `rewind`). */
  private held: Buffer[] | undefined;
  private heldBytes = 0;
  private readonly maxQuotedLines: number;
  private readonly delim: number;
  width: number | undefined;

  constructor(private readonly opts: TextRecordsOptions) {
    this.maxQuotedLines = opts.maxQuotedLines ?? MAX_QUOTED_FIELD_LINES;
    // One ASCII character (csv-dialect's candidates, or --delimiter): compared as a byte.
    this.delim = Buffer.from(opts.delimiter, 'utf8')[0]!;
    this.width = opts.width;
    if (opts.replayable) this.held = [];
    this.restart(0);
  }

  /**
   * Parses again, with the current `width`, everything fed after absolute offset `at` (the end of
   * the header), and returns its records; the records handed on before for that text are void.
   * Without this, the rows that came in the same read as the header were parsed before its width
   * was known, so a stray quote among them swallowed the lines up to the next quote instead of
   * failing one line. `ended`: `end` was called already. Only once, and only when replayable;
   * the text is not kept after it. Undefined when the text was not kept (more than REPLAY_RECORDS
   * records' worth was read to find the header): the records handed on stand.
   */
  rewind(at: number, ended: boolean): TextItem[] | undefined {
    if (this.held === undefined) return undefined;
    const all = Buffer.concat(this.held);
    this.held = undefined;
    this.pending = all.subarray(at);
    this.base = at;
    this.baseLine = 1 + breaksIn(all, 0, at, this.hasCr);
    this.restart(at);
    const out: TextItem[] = [];
    if (this.pending.length > 0 || ended) this.run(this.pending.length > 0 ? this.pending : undefined, ended, out);
    return out;
  }

  private restart(at: number): void {
    const options: CsvOptions = {
      delimiter: this.opts.delimiter,
      // The decoder already removed the BOM; this only matters for a second one, which is noise.
      bom: true,
      // Mixed line ends happen when files are concatenated (a header from one tool, rows from
      // another); accepting all three keeps such a file from becoming one giant record.
      record_delimiter: ['\r\n', '\n', '\r'],
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      max_record_size: this.opts.maxRecordBytes,
    };
    this.api = (new Parser(options) as unknown as { api: CsvApi }).api;
    this.apiBase = at;
  }

  write(chunk: Buffer): TextItem[] {
    if (!this.hasCr && chunk.indexOf(0x0d) !== -1) this.hasCr = true;
    if (this.held) {
      this.held.push(chunk);
      this.heldBytes += chunk.length;
      // Memory stays bounded: a header followed by a flood of blank lines is not kept to replay.
      if (this.heldBytes > REPLAY_RECORDS * this.opts.maxRecordBytes) this.held = undefined;
    }
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: TextItem[] = [];
    this.run(chunk, false, out);
    return out;
  }

  end(): TextItem[] {
    const out: TextItem[] = [];
    this.run(undefined, true, out);
    return out;
  }

  /** Parses `input` (the text just appended to pending, or all of pending after a restart). */
  private run(input: Buffer | undefined, end: boolean, out: TextItem[]): void {
    for (;;) {
      const got: Array<{ values: string[]; endAbs: number }> = [];
      const err = this.api.parse(input, end, (values) => got.push({ values, endAbs: this.apiBase + this.api.info.bytes }), () => {});
      let stray: { reason: string } | undefined;
      for (const g of got) {
        const item = this.take(g.values, g.endAbs);
        if (item === 'stray') {
          stray = { reason: this.multiLineReason(g.values, g.endAbs) };
          break;
        }
        out.push(item);
      }
      if (!stray && err) stray = { reason: this.errorReason(err) };
      if (!stray && !end && this.api.state.quoting) {
        // A quoted field still open: past the line limit it is a stray quote's, whatever follows.
        const start = this.recordStart();
        const lines = breaksIn(this.pending, start - this.base, this.pending.length, this.hasCr);
        if (lines > this.maxQuotedLines) stray = { reason: `a quoted value that starts in this line runs over more than ${fmt(this.maxQuotedLines)} lines` };
      }
      if (!stray) return;
      out.push(this.failOpeningLine(stray.reason));
      // Everything after that line is parsed again by a fresh parser.
      input = this.pending.length === 0 ? undefined : this.pending;
      if (input === undefined && !end) return;
    }
  }

  /** Absolute offset of the first character of the record being parsed (after blank lines). */
  private recordStart(): number {
    const p = this.pending;
    let i = 0;
    while (i < p.length && (p[i] === 0x0a || p[i] === 0x0d)) i++;
    return this.base + i;
  }

  /** Hands on the record that ends at `endAbs`; 'stray' when it is a stray quote's. */
  private take(values: string[], endAbs: number): TextItem | 'stray' {
    const p = this.pending;
    const to = endAbs - this.base;
    let i = 0;
    while (i < to && (p[i] === 0x0a || p[i] === 0x0d)) i++;
    const line = this.baseLine + (i === 0 ? 0 : breaksIn(p, 0, i, this.hasCr));
    // The breaks inside the record: all but the one that ends it (none at the end of the file).
    const all = breaksIn(p, i, to, this.hasCr);
    const last = to > 0 && (p[to - 1] === 0x0a || p[to - 1] === 0x0d);
    const inner = last ? all - 1 : all;
    if (inner > 0 && (inner > this.maxQuotedLines || (this.width !== undefined && values.length !== this.width) || closesBadly(p, i, to, this.delim))) return 'stray';
    // Read only for a record that turns out malformed: the slice shares the chunk's memory.
    const slice = p.subarray(i, last ? lineEndBack(p, to) : to);
    this.pending = p.subarray(to);
    this.base = endAbs;
    this.baseLine = line + all;
    return { kind: 'record', values, line, lastLine: line + inner, bytes: endAbs, text: () => cut(slice.toString('utf8')) };
  }

  /** The record being parsed is a stray quote's: its first line is failed, parsing restarts after it. */
  private failOpeningLine(reason: string): TextItem {
    const p = this.pending;
    let i = 0;
    while (i < p.length && (p[i] === 0x0a || p[i] === 0x0d)) i++;
    const line = this.baseLine + (i === 0 ? 0 : breaksIn(p, 0, i, this.hasCr));
    const next = lineEnd(p, i, p.length);
    const raw = cut(p.toString('utf8', i, next > i && (p[next - 1] === 0x0a || p[next - 1] === 0x0d) ? lineEndBack(p, next) : next));
    this.pending = p.subarray(next);
    this.base += next;
    this.baseLine = line + 1;
    this.restart(this.base);
    return { kind: 'stray', line, lastLine: line, bytes: this.base, raw, reason };
  }

  private multiLineReason(values: string[], endAbs: number): string {
    const to = endAbs - this.base;
    const lines = breaksIn(this.pending, 0, to, this.hasCr);
    if (lines > this.maxQuotedLines) return `a quoted value that starts in this line runs over more than ${fmt(this.maxQuotedLines)} lines`;
    if (this.width === undefined || values.length === this.width) return `a quoted value that starts in this line runs over ${fmt(lines)} lines to a quote that text follows`;
    return `a quoted value that starts in this line runs over ${fmt(lines)} lines, and the record it makes has ${fmt(values.length)} fields, not the header's ${fmt(this.width ?? 0)}`;
  }

  private errorReason(err: CsvError): string {
    switch (err.code) {
      case 'CSV_QUOTE_NOT_CLOSED':
        return 'a quote that opens a value in this line is never closed';
      case 'CSV_MAX_RECORD_SIZE':
        return `a record that starts in this line grows past ${fmt(this.opts.maxRecordBytes)} bytes (a quote never closed?)`;
      default:
        return err.message;
    }
  }
}

/** Where the text before the line break that ends at `to` ends (CRLF, CR or LF). */
function lineEndBack(p: Buffer, to: number): number {
  if (p[to - 1] === 0x0a && p[to - 2] === 0x0d) return to - 2;
  return to - 1;
}

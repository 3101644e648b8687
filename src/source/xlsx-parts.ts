// The parts of an .xlsx package around the sheet data: the zip directory, the workbook's sheet
// list, relationships, number formats and the shared string table.
//
// The zip is read through its central directory (random access into the file), not in one pass
// over the local headers. Two reasons:
//   - A one-pass reader meets the sheets before the parts needed to read them when the file comes
//     from Excel (which stores sheets before styles and shared strings), so it must park every
//     sheet in a temporary file (personal data in the OS temp directory) until it gets there.
//   - exceljs's streaming WorkbookReader does this one pass through an iterator reported to drop
//     zip entries on some Node versions (exceljs issues #3064, #2790, #1558; PR #3031), losing
//     the workbook, the styles or a sheet. Reading by directory has no such ordering at all.
// Only the chosen sheet is decompressed, as a stream; other sheets are never read.
//
// unzipper and saxes are the zip and XML libraries exceljs itself is built on (exceljs only writes
// the test fixtures); they are this package's own dependencies, loaded with require as they
// ship CommonJS without types.
import { createReadStream, type ReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { posix } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import { SharedStringsTooLarge } from './errors.js';
import { fmt, keptPart, utf8Over } from './limits.js';
import { builtinFormat, classifyFormat, decodeXString, type NumberFormat } from './xlsx-format.js';

const load = createRequire(import.meta.url);

interface SaxesTag {
  name: string;
  attributes: Record<string, string>;
  isSelfClosing: boolean;
}
interface SaxesParserLike {
  on(event: 'opentag' | 'closetag', handler: (tag: SaxesTag) => void): void;
  on(event: 'text' | 'cdata', handler: (text: string) => void): void;
  on(event: 'error', handler: (err: Error) => void): void;
  write(chunk: string): unknown;
  close(): unknown;
}
const { SaxesParser } = load('saxes') as { SaxesParser: new (opts: { position: boolean }) => SaxesParserLike };

interface ZipSource {
  size(): Promise<number>;
  stream(offset: number, length?: number): Readable;
}
export interface ZipEntry {
  path: string;
  type: 'File' | 'Directory';
  compressedSize: number;
  uncompressedSize: number;
  stream(): Readable;
}
const unzipper = load('unzipper') as { Open: { custom(source: ZipSource): PromiseLike<{ files: ZipEntry[] }> } };

export interface Zip {
  /** The workbook's path, for messages. */
  path: string;
  /** The entries by lower-cased path (OPC part names are case-insensitive). */
  entries: Map<string, ZipEntry>;
  /** The file streams open on the workbook, for progress and for close(). */
  streams: Set<ReadStream>;
  /** An entry's decompressed bytes; one entry is read at a time. */
  open(entry: ZipEntry): Readable;
}

export async function openZip(path: string, size: number): Promise<Zip> {
  const streams = new Set<ReadStream>();
  let reading: Readable | undefined;
  const source: ZipSource = {
    size: () => Promise.resolve(size),
    stream(offset, length) {
      const s = createReadStream(path, { start: offset, ...(length ? { end: offset + length - 1 } : {}) });
      streams.add(s);
      s.once('close', () => streams.delete(s));
      // unzipper listens for errors on what it pipes this into, not on this stream: unheard, a
      // read error (the file removed or on a failing disk) would crash the process. It goes to
      // the entry being read instead, whose reader reports it.
      s.on('error', (e) => reading?.destroy(e));
      return s;
    },
  };
  const dir = await unzipper.Open.custom(source);
  const entries = new Map<string, ZipEntry>();
  for (const e of dir.files) if (e.type === 'File') entries.set(e.path.replace(/^\/+/, '').toLowerCase(), e);
  return {
    path,
    entries,
    streams,
    open(entry) {
      reading = entry.stream();
      return reading;
    },
  };
}

// --- XML -------------------------------------------------------------------------------------

export interface XmlHandlers {
  /** Element names arrive without their namespace prefix (`x:row` → `row`). */
  open(name: string, attrs: Record<string, string>): void;
  close?(name: string): void;
  text?(text: string): void;
  /**
   * Characters of the current text run dropped unread (see XmlPush): the text the next `text()`
   * call gives is only the start of it. Called before that `text()`.
   */
  dropped?(chars: number): void;
}

/**
 * The longest run of text between two tags that reaches the XML parser of a sheet or of the
 * shared text, for a --max-field-size of `maxFieldBytes`: twice the limit (entities like `&amp;`
 * make the XML longer than the text) plus room for markup. What is longer is over the limit
 * whatever it holds, so its start is enough to say so.
 */
export const maxXmlRunChars = (maxFieldBytes: number): number => 2 * maxFieldBytes + 4096;
/** The same for the workbook's other parts (sheet list, relationships, styles): names and numbers. */
const STRUCTURE_MAX_RUN_CHARS = 1 << 20;

const localName = (name: string): string => {
  const i = name.indexOf(':');
  return i === -1 ? name : name.slice(i + 1);
};

/** Attribute by local name, whatever its prefix (`r:id`, `ns2:id`). */
function attr(attrs: Record<string, string>, name: string): string | undefined {
  const v = attrs[name];
  if (v !== undefined) return v;
  for (const k in attrs) if (localName(k) === name && k !== name) return attrs[k];
  return undefined;
}

/**
 * A push parser: bytes in, handler calls out; throws the first XML error from write().
 *
 * Memory is bounded whatever the part holds: the XML parser collects a text run (and a tag with
 * its attributes) whole before it hands it on, so a 2 GB cell would be a 2 GB string. Runs are
 * measured before they reach it: a text run longer than `maxRun` characters is cut there (the
 * handler hears how much was dropped, and reports the value as too long), and a tag longer than
 * `maxRun` is an error (no spreadsheet writes one; the part is damaged or hostile).
 */
export class XmlPush {
  private readonly sax: SaxesParserLike;
  private readonly decoder = new StringDecoder('utf8');
  private error: Error | undefined;
  private started = false;
  /** Inside `<…>`; otherwise in text. */
  private inTag = false;
  /** Characters of the current run (tag or text) so far. */
  private run = 0;
  /** The current text run is past maxRun: the rest of it is dropped. */
  private dropping = false;

  constructor(
    private readonly h: XmlHandlers,
    private readonly maxRun: number = STRUCTURE_MAX_RUN_CHARS,
  ) {
    this.sax = new SaxesParser({ position: false });
    // saxes goes on after an error, closing open elements to recover: a row cut off by the error
    // would look complete. Nothing after the first error reaches the handlers.
    this.sax.on('opentag', (t) => {
      if (!this.error) h.open(localName(t.name), t.attributes);
    });
    if (h.close) {
      this.sax.on('closetag', (t) => {
        if (!this.error) h.close!(localName(t.name));
      });
    }
    if (h.text) {
      const text = (t: string): void => {
        if (!this.error) h.text!(t);
      };
      this.sax.on('text', text);
      this.sax.on('cdata', text);
    }
    this.sax.on('error', (e) => {
      this.error ??= e;
    });
  }

  write(chunk: Buffer): void {
    if (this.error) throw this.error;
    let s = this.decoder.write(chunk);
    if (!this.started && s.length > 0) {
      this.started = true;
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    }
    try {
      this.feed(s);
    } catch (e) {
      // A handler refused the content (a SourceError): the parser is mid-event, so it is done.
      this.error ??= e as Error;
      throw e;
    }
    if (this.error) throw this.error;
  }

  /** Passes `s` to the XML parser, cutting text runs at maxRun and refusing longer tags. */
  private feed(s: string): void {
    let from = 0;
    let i = 0;
    while (i < s.length && !this.error) {
      if (this.inTag) {
        const gt = s.indexOf('>', i);
        const end = gt === -1 ? s.length : gt;
        this.run += end - i;
        if (this.run > this.maxRun) throw new Error(`it holds an XML tag longer than ${fmt(this.maxRun)} characters, which no spreadsheet program writes`);
        if (gt === -1) break;
        this.inTag = false;
        this.run = 0;
        i = gt + 1;
        continue;
      }
      const lt = s.indexOf('<', i);
      const end = lt === -1 ? s.length : lt;
      if (this.dropping) {
        if (from < i) this.sax.write(s.slice(from, i));
        from = end;
        this.h.dropped?.(end - i);
      } else if (this.run + (end - i) > this.maxRun) {
        const cut = safeCut(s, i, i + (this.maxRun - this.run));
        this.sax.write(s.slice(from, cut));
        from = end;
        this.dropping = true;
        this.h.dropped?.(end - cut);
      } else this.run += end - i;
      if (lt === -1) break;
      this.dropping = false;
      this.inTag = true;
      this.run = 0;
      i = lt + 1;
    }
    if (from < s.length && !this.error) this.sax.write(from === 0 ? s : s.slice(from));
  }

  end(): void {
    this.sax.write(this.decoder.end());
    this.sax.close();
    if (this.error) throw this.error;
  }
}

/** Where to cut text at `at` (≥ start) without splitting an entity (`&amp;`) or a surrogate pair. */
function safeCut(s: string, start: number, at: number): number {
  const amp = s.lastIndexOf('&', at - 1);
  if (amp >= start) {
    const semi = s.indexOf(';', amp);
    if (semi === -1 || semi >= at) at = amp;
  }
  const c = s.charCodeAt(at - 1);
  return at > start && c >= 0xd800 && c <= 0xdbff ? at - 1 : at;
}

async function parseEntry(zip: Zip, entry: ZipEntry, h: XmlHandlers, maxRun?: number): Promise<void> {
  const xml = new XmlPush(h, maxRun);
  for await (const chunk of zip.open(entry)) xml.write(chunk as Buffer);
  xml.end();
}

// --- package structure ------------------------------------------------------------------------

interface Relationship {
  target: string;
  type: string;
}

/** The rels part of `partPath`: relationship ID → target part path (resolved, lower-case free). */
async function readRels(zip: Zip, partPath: string): Promise<Map<string, Relationship>> {
  const dir = posix.dirname(partPath);
  const relsPath = posix.join(dir, '_rels', `${posix.basename(partPath)}.rels`);
  const entry = zip.entries.get(relsPath.toLowerCase());
  const rels = new Map<string, Relationship>();
  if (!entry) return rels;
  await parseEntry(zip, entry, {
    open(name, a) {
      if (name !== 'Relationship') return;
      const id = a.Id;
      const target = a.Target;
      if (!id || !target || a.TargetMode === 'External') return;
      const resolved = target.startsWith('/') ? target.replace(/^\/+/, '') : posix.normalize(posix.join(dir, target));
      rels.set(id, { target: resolved, type: a.Type ?? '' });
    },
  });
  return rels;
}

export interface SheetInfo {
  name: string;
  /** '', 'hidden' or 'veryHidden'. */
  state: string;
  /** The part path, or undefined when the relationship is missing. */
  part: string | undefined;
  /** A worksheet (not a chart sheet, dialog or macro sheet). */
  isWorksheet: boolean;
}

export interface WorkbookInfo {
  sheets: SheetInfo[];
  date1904: boolean;
  workbookPart: string;
  rels: Map<string, Relationship>;
}

/** The workbook's sheets; 'binary' for an .xlsb, undefined when the zip has no workbook. */
export async function readWorkbook(zip: Zip): Promise<WorkbookInfo | 'binary' | undefined> {
  const root = await readRels(zip, '');
  let workbookPart: string | undefined;
  for (const r of root.values()) if (r.type.endsWith('/officeDocument')) workbookPart = r.target;
  workbookPart ??= 'xl/workbook.xml';
  if (workbookPart.toLowerCase().endsWith('.bin')) return 'binary';
  const entry = zip.entries.get(workbookPart.toLowerCase());
  if (!entry) return undefined;
  const rels = await readRels(zip, workbookPart);
  const raw: Array<{ name: string; state: string; rid: string | undefined }> = [];
  let date1904 = false;
  await parseEntry(zip, entry, {
    open(name, a) {
      if (name === 'sheet') raw.push({ name: a.name ?? '', state: a.state ?? '', rid: attr(a, 'id') });
      else if (name === 'workbookPr') date1904 = a.date1904 === '1' || a.date1904 === 'true';
    },
  });
  const sheets = raw.map((s): SheetInfo => {
    const rel = s.rid === undefined ? undefined : rels.get(s.rid);
    return { name: s.name, state: s.state, part: rel?.target, isWorksheet: rel !== undefined && rel.type.endsWith('/worksheet') };
  });
  return { sheets, date1904, workbookPart, rels };
}

/** Number format of each cell style index (`s` attribute). */
export async function readStyles(zip: Zip, { workbookPart, rels }: WorkbookInfo): Promise<NumberFormat[]> {
  let part = posix.join(posix.dirname(workbookPart), 'styles.xml');
  for (const r of rels.values()) if (r.type.endsWith('/styles')) part = r.target;
  const entry = zip.entries.get(part.toLowerCase());
  if (!entry) return [];
  const custom = new Map<number, string>();
  const xfs: number[] = [];
  let inCellXfs = false;
  await parseEntry(zip, entry, {
    open(name, a) {
      if (name === 'numFmt') {
        const id = Number(a.numFmtId);
        if (Number.isInteger(id) && a.formatCode !== undefined) custom.set(id, a.formatCode);
      } else if (name === 'cellXfs') inCellXfs = true;
      else if (name === 'xf' && inCellXfs) xfs.push(Number(a.numFmtId ?? 0));
    },
    close(name) {
      if (name === 'cellXfs') inCellXfs = false;
    },
  });
  return xfs.map((id) => classifyFormat(custom.get(id) ?? builtinFormat(id)));
}

/** A string too long to keep: its start, and its real length in UTF-8 bytes. */
export interface Oversized {
  preview: string;
  bytes: number;
}

export type SharedString = string | Oversized;

/** Accumulates one text value; past `maxBytes` keeps only its start and counts the bytes. */
export class TextBuffer {
  private text = '';
  private over = false;
  private bytes = 0;
  private dropped = 0;

  constructor(private readonly maxBytes: number) {}

  /**
   * Characters of the value the XML reader dropped (see XmlPush): the value is over the limit.
   * Counted as one byte each, as the file has them (an entity such as `&amp;` counts five).
   */
  addDropped(chars: number): void {
    this.dropped += chars;
  }

  append(t: string): void {
    if (this.over) {
      this.bytes += Buffer.byteLength(t, 'utf8');
      return;
    }
    this.text += t;
    // UTF-8 needs at least one byte per UTF-16 unit, so a longer text is over the limit.
    if (this.text.length > this.maxBytes) {
      this.over = true;
      this.bytes = Buffer.byteLength(this.text, 'utf8');
      this.text = keptPart(this.text);
    }
  }

  /** The value: a string, or the preview and size when it is over the limit. */
  take(): SharedString {
    const text = this.text;
    let result: SharedString = text;
    if (this.over) result = { preview: text, bytes: this.bytes + this.dropped };
    else if (this.dropped > 0) result = { preview: keptPart(text), bytes: Buffer.byteLength(text, 'utf8') + this.dropped };
    else {
      const bytes = utf8Over(text, this.maxBytes);
      if (bytes !== false) result = { preview: keptPart(text), bytes };
    }
    this.text = '';
    this.over = false;
    this.bytes = 0;
    this.dropped = 0;
    return result;
  }
}

/**
 * The shared string table. Phonetic guides (`rPh`, the furigana Excel stores for Japanese input)
 * are not part of the text and are skipped. Memory is bounded: each string by `maxFieldBytes`,
 * the table by `maxTableBytes` (an estimate of what it takes in memory; more throws
 * SharedStringsTooLarge).
 */
export async function readSharedStrings(
  zip: Zip,
  { workbookPart, rels }: WorkbookInfo,
  maxFieldBytes: number,
  maxTableBytes: number,
): Promise<SharedString[] | undefined> {
  let part: string | undefined;
  for (const r of rels.values()) if (r.type.endsWith('/sharedStrings')) part = r.target;
  part ??= posix.join(posix.dirname(workbookPart), 'sharedStrings.xml');
  const entry = zip.entries.get(part.toLowerCase());
  if (!entry) return undefined;
  const table: SharedString[] = [];
  const buf = new TextBuffer(maxFieldBytes);
  let inSi = false;
  let inT = false;
  let phonetic = 0;
  let cost = 0;
  await parseEntry(zip, entry, {
    open(name) {
      if (name === 'si') inSi = true;
      else if (name === 'rPh') phonetic++;
      else if (name === 't' && inSi && phonetic === 0) inT = true;
    },
    text(t) {
      if (inT) buf.append(t);
    },
    dropped(chars) {
      if (inT) buf.addDropped(chars);
    },
    close(name) {
      if (name === 't') inT = false;
      else if (name === 'rPh') phonetic--;
      else if (name === 'si') {
        inSi = false;
        let v = buf.take();
        if (typeof v === 'string') v = decodeXString(v);
        // Roughly what V8 spends: two bytes a character plus the string and array slot.
        cost += 32 + 2 * (typeof v === 'string' ? v.length : v.preview.length);
        if (cost > maxTableBytes) {
          throw new SharedStringsTooLarge(
            `${zip.path}: the workbook's text takes more than ${fmt(Math.round(maxTableBytes / 1048576))} MiB of memory to read; save the sheet as CSV and import that`,
          );
        }
        table.push(v);
      }
    },
  }, maxXmlRunChars(maxFieldBytes));
  return table;
}

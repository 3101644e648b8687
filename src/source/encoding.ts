// Which character encoding a CSV file is in, and a streaming decoder for it.
//
// Detection looks only at the first bytes (SNIFF_BYTES), in this order: a byte-order mark; the NUL
// pattern of UTF-16 without a BOM; UTF-8 (strict, or with no more invalid bytes than UTF-8 letters);
// otherwise Windows-1252, which is what Excel and Outlook on Windows write when they say "CSV" and
// what most Latin-1 files really are.
// Whatever was chosen, bytes that are invalid in it come out as U+FFFD, which the CSV source turns
// into a malformed row: a wrong guess is reported row by row, never silently turned into other
// letters.
import { Transform, type TransformCallback } from 'node:stream';
import iconv from 'iconv-lite';
import { EncodingError } from './errors.js';

/** The encodings --encoding accepts, by their canonical names. */
const SUPPORTED_ENCODINGS = ['utf-8', 'utf-16le', 'utf-16be', 'windows-1252', 'latin1'] as const;
export type SupportedEncoding = (typeof SUPPORTED_ENCODINGS)[number];

/** Bytes read from the start of the file to detect the encoding and the delimiter. */
export const SNIFF_BYTES = 64 * 1024;

// Keys are lower-cased with spaces, '_' and '-' removed, so "UTF-8", "utf_8" and "utf8" are one.
const ALIASES: Record<string, SupportedEncoding> = {
  utf8: 'utf-8',
  utf16le: 'utf-16le',
  ucs2: 'utf-16le',
  utf16be: 'utf-16be',
  windows1252: 'windows-1252',
  win1252: 'windows-1252',
  cp1252: 'windows-1252',
  latin1: 'latin1',
  l1: 'latin1',
  iso88591: 'latin1',
  iso885911987: 'latin1',
};

/** `UTF8`, `cp1252`, `ISO-8859-1`… → the canonical name; undefined for anything else. */
export function normalizeEncodingName(name: string): SupportedEncoding | undefined {
  const key = name.trim().toLowerCase().replace(/[\s_-]/g, '');
  return Object.hasOwn(ALIASES, key) ? ALIASES[key] : undefined;
}

/** The sentence that lists what --encoding accepts, for error messages. */
export const ACCEPTED_ENCODINGS_TEXT =
  'utf-8, utf-16le, utf-16be, windows-1252 (also cp1252, win1252) or latin1 (also iso-8859-1)';

export type EncodingReason = 'forced' | 'bom' | 'utf-16 pattern' | 'valid utf-8' | 'utf-8 with errors' | 'not utf-8';

export interface DetectedEncoding {
  encoding: SupportedEncoding;
  reason: EncodingReason;
  /** Length of the byte-order mark at the start of the file (0 when there is none). */
  bomBytes: number;
}

/** Human words for `reason`, for the report printed before a run. */
export function describeEncodingReason(d: { reason: EncodingReason }): string {
  switch (d.reason) {
    case 'forced':
      return 'set by --encoding';
    case 'bom':
      return 'from its byte-order mark';
    case 'utf-16 pattern':
      return 'detected: UTF-16 without a byte-order mark';
    case 'valid utf-8':
      return 'detected: the start of the file is valid UTF-8';
    case 'utf-8 with errors':
      return 'detected: the start of the file is UTF-8 with a few invalid bytes, reported with their rows';
    case 'not utf-8':
      return 'detected: the start of the file is not valid UTF-8, so it is read as Windows-1252';
  }
}

function bomOf(sample: Uint8Array): { encoding: SupportedEncoding; bytes: number } | 'utf-32' | undefined {
  const [a, b, c, d] = sample;
  if (a === 0xef && b === 0xbb && c === 0xbf) return { encoding: 'utf-8', bytes: 3 };
  // FF FE 00 00 is UTF-32LE's mark; as UTF-16LE it would be a BOM followed by a NUL character,
  // which no CSV starts with.
  if (a === 0xff && b === 0xfe && c === 0 && d === 0) return 'utf-32';
  if (a === 0x00 && b === 0x00 && c === 0xfe && d === 0xff) return 'utf-32';
  if (a === 0xff && b === 0xfe) return { encoding: 'utf-16le', bytes: 2 };
  if (a === 0xfe && b === 0xff) return { encoding: 'utf-16be', bytes: 2 };
  return undefined;
}

/**
 * UTF-16 without a BOM: text that is mostly ASCII has a NUL in every other byte (the high byte),
 * while UTF-8 and single-byte text have none. Non-Latin text has fewer NULs, hence the low
 * threshold on one side and the near-zero one on the other.
 */
function utf16Pattern(sample: Uint8Array): SupportedEncoding | undefined {
  const pairs = Math.floor(sample.length / 2);
  if (pairs < 2) return undefined;
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i + 1 < sample.length; i += 2) {
    if (sample[i] === 0) evenNul++;
    if (sample[i + 1] === 0) oddNul++;
  }
  if (oddNul >= pairs * 0.3 && evenNul <= pairs * 0.02) return 'utf-16le';
  if (evenNul >= pairs * 0.3 && oddNul <= pairs * 0.02) return 'utf-16be';
  return undefined;
}

/**
 * Counts well-formed multi-byte UTF-8 sequences and invalid bytes (the WHATWG rules: no overlong
 * forms, no surrogates, nothing above U+10FFFF). An incomplete sequence at the end counts as
 * invalid only when the sample is the whole file; otherwise the sample's cut made it.
 */
export function scanUtf8(sample: Uint8Array, wholeFile: boolean): { multiByte: number; invalid: number } {
  let multiByte = 0;
  let invalid = 0;
  const n = sample.length;
  let i = 0;
  while (i < n) {
    const b = sample[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b === 0xe0) (need = 2), (lo = 0xa0);
    else if (b === 0xed) (need = 2), (hi = 0x9f);
    else if (b >= 0xe1 && b <= 0xef) need = 2;
    else if (b === 0xf0) (need = 3), (lo = 0x90);
    else if (b === 0xf4) (need = 3), (hi = 0x8f);
    else if (b >= 0xf1 && b <= 0xf3) need = 3;
    else {
      invalid++;
      i++;
      continue;
    }
    let j = 1;
    for (; j <= need && i + j < n; j++) {
      const c = sample[i + j]!;
      if (c < lo || c > hi) break;
      lo = 0x80;
      hi = 0xbf;
    }
    if (j > need) {
      multiByte++;
      i += need + 1;
    } else if (i + j >= n) {
      if (wholeFile) invalid++;
      break;
    } else {
      // The byte that broke the sequence may start a new one: look at it again.
      invalid++;
      i += j;
    }
  }
  return { multiByte, invalid };
}

/**
 * UTF-8 unless the sample has more invalid bytes than UTF-8 letters. A file with real UTF-8
 * letters and a few bad bytes (one row pasted from a Windows file, a truncated end) is read as
 * UTF-8 and its bad rows reported; calling it Windows-1252 instead would silently turn every
 * UTF-8 letter into two wrong ones ("é" → "Ã©"). A sample with no UTF-8 letter and a few high
 * bytes is a Windows-1252 file.
 */
function utf8Verdict(sample: Uint8Array, wholeFile: boolean): 'valid utf-8' | 'utf-8 with errors' | undefined {
  try {
    // Native and fast for the common case; stream: a character cut by the sample's end is no error.
    const decoder = new TextDecoder('utf-8', { fatal: true });
    decoder.decode(sample, { stream: true });
    if (!wholeFile) return 'valid utf-8';
    decoder.decode();
    return 'valid utf-8';
  } catch {
    const { multiByte, invalid } = scanUtf8(sample, wholeFile);
    return multiByte > 0 && multiByte >= invalid ? 'utf-8 with errors' : undefined;
  }
}

/**
 * Detects the encoding from the first bytes of a file (`wholeFile`: the sample is the entire
 * file, so a character cut at its end is the file's own). A forced encoding that contradicts a
 * byte-order mark is refused: decoding would turn every letter into something else.
 */
export function detectEncoding(sample: Uint8Array, wholeFile: boolean, forced?: SupportedEncoding): DetectedEncoding {
  const bom = bomOf(sample);
  if (bom === 'utf-32') {
    throw new EncodingError('the file is in UTF-32, which is not supported: re-save it as UTF-8 (or UTF-16)');
  }
  if (forced) {
    if (bom && bom.encoding !== forced) {
      throw new EncodingError(
        `--encoding ${forced} was given, but the file starts with a ${bom.encoding.toUpperCase()} byte-order mark: ` +
          `drop --encoding (or pass --encoding ${bom.encoding})`,
      );
    }
    return { encoding: forced, reason: 'forced', bomBytes: bom ? bom.bytes : 0 };
  }
  if (bom) return { encoding: bom.encoding, reason: 'bom', bomBytes: bom.bytes };
  const utf16 = utf16Pattern(sample);
  if (utf16) return { encoding: utf16, reason: 'utf-16 pattern', bomBytes: 0 };
  const utf8 = utf8Verdict(sample, wholeFile);
  if (utf8) return { encoding: 'utf-8', reason: utf8, bomBytes: 0 };
  return { encoding: 'windows-1252', reason: 'not utf-8', bomBytes: 0 };
}

/** Decodes a sample (no streaming state: only its first record is used, for sniffing). */
export function decodeSample(sample: Uint8Array, encoding: SupportedEncoding): string {
  return iconv.decode(Buffer.from(sample.buffer, sample.byteOffset, sample.byteLength), encoding, { stripBOM: true });
}

/** Whether decoding can produce U+FFFD for bytes that are invalid in this encoding. */
export function canHaveInvalidBytes(encoding: SupportedEncoding): boolean {
  return encoding !== 'latin1';
}

/** What to tell the user about U+FFFD in a field, after `column "X": `. */
export function invalidBytesMessage(encoding: SupportedEncoding): string {
  switch (encoding) {
    case 'utf-8':
      return 'bytes that are not valid UTF-8; the file is probably in another encoding: re-save it as UTF-8 or pass --encoding windows-1252';
    case 'windows-1252':
      return 'bytes that are not valid Windows-1252 (0x81, 0x8D, 0x8F, 0x90 or 0x9D); the file is probably in another encoding: re-save it as UTF-8, or pass --encoding latin1 or --encoding utf-8';
    case 'utf-16le':
    case 'utf-16be':
      return `bytes that are not valid ${encoding.toUpperCase()} (a broken surrogate pair, or the file ends in half a character); the file is damaged or in another encoding: re-save it as UTF-8`;
    case 'latin1':
      return 'a U+FFFD replacement character';
  }
}

/**
 * bytes in `encoding` → UTF-8 bytes for csv-parse. Every byte sequence that is invalid in the
 * source encoding becomes U+FFFD:
 * - UTF-8 and Windows-1252: iconv-lite already replaces them;
 * - UTF-16: iconv-lite passes lone surrogates through and drops a final odd byte, so a trailing
 *   high surrogate is held back until its pair arrives (a pair split across two chunks is valid),
 *   Buffer.from turns whatever lone surrogate is left into U+FFFD, and an odd byte count adds one.
 * A file that really contains U+FFFD (valid UTF-8 EF BF BD) cannot be told apart afterwards and is
 * reported too; such a file has already lost its letters somewhere, so reporting it is right.
 */
export class DecodeStream extends Transform {
  /**
   * Set once a physical line grew past `maxLineBytes`: the output then stops just past the
   * limit (and the stream ends), so the parser's last record is that line's cut-off start.
   */
  overlong = false;
  private readonly decoder: iconv.DecoderStream;
  private readonly utf16: boolean;
  private pending = '';
  private bytes = 0;
  /** Output bytes since the last CR or LF. */
  private lineBytes = 0;

  /**
   * `maxLineBytes` guards what csv-parse's max_record_size cannot: that limit counts field
   * characters but not delimiters, so a line of nothing but commas would grow one array of
   * empty strings until V8 aborts the process. No real record has a physical line that long:
   * it would be over the record limit anyway.
   */
  constructor(
    encoding: SupportedEncoding,
    private readonly maxLineBytes: number,
  ) {
    super({ decodeStrings: true });
    this.decoder = iconv.getDecoder(encoding, { stripBOM: true });
    this.utf16 = encoding === 'utf-16le' || encoding === 'utf-16be';
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.overlong) return done();
    this.bytes += chunk.length;
    let text = this.pending + this.decoder.write(chunk);
    this.pending = '';
    if (this.utf16 && text.length > 0) {
      const last = text.charCodeAt(text.length - 1);
      if (last >= 0xd800 && last <= 0xdbff) {
        this.pending = text.slice(-1);
        text = text.slice(0, -1);
      }
    }
    this.forward(text);
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.overlong) return done();
    let text = this.pending + (this.decoder.end() ?? '');
    if (this.utf16 && this.bytes % 2 === 1) text += '\uFFFD';
    this.forward(text);
    done();
  }

  private forward(text: string): void {
    if (text.length === 0) return;
    const buf = Buffer.from(text, 'utf8');
    const cut = this.overlongCut(buf);
    if (cut === -1) {
      this.push(buf);
      return;
    }
    this.overlong = true;
    this.push(buf.subarray(0, cut));
    this.push(null);
    this.emit('overlong');
  }

  /** Where the line being written passes maxLineBytes in `buf`, or -1; updates lineBytes. */
  private overlongCut(buf: Buffer): number {
    if (this.lineBytes + buf.length <= this.maxLineBytes) {
      const last = Math.max(buf.lastIndexOf(0x0a), buf.lastIndexOf(0x0d));
      this.lineBytes = last === -1 ? this.lineBytes + buf.length : buf.length - 1 - last;
      return -1;
    }
    // Each search resumes where the last one stopped, so a chunk is scanned once.
    let lf = buf.indexOf(0x0a);
    let cr = buf.indexOf(0x0d);
    let start = 0;
    for (;;) {
      const brk = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      const end = brk === -1 ? buf.length : brk;
      if (this.lineBytes + (end - start) > this.maxLineBytes) return start + (this.maxLineBytes - this.lineBytes) + 1;
      if (brk === -1) {
        this.lineBytes += end - start;
        return -1;
      }
      this.lineBytes = 0;
      start = brk + 1;
      if (lf !== -1 && lf < start) lf = buf.indexOf(0x0a, start);
      if (cr !== -1 && cr < start) cr = buf.indexOf(0x0d, start);
    }
  }
}

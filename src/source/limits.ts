// The limits both readers enforce, and the measuring they share: a workbook and the same data
// saved as CSV are held to one standard, so a row that fails in one fails in the other.
import type { CommonSourceOptions } from './types.js';

/** A field larger than this makes its row malformed; the other rows import. */
export const DEFAULT_MAX_FIELD_BYTES = 64 * 1024;
/** A header with more columns than this is refused: the file is not the table it seems to be. */
export const DEFAULT_MAX_COLUMNS = 1000;
/** A CSV record larger than this stops the run (the file is likely not CSV, or a quote is never closed). */
export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;
/** How much of an oversized value is kept (in the failures file), so memory stays bounded. */
const OVERSIZED_VALUE_KEEP_CHARS = 100;
/** Problems named in one malformed row's message; the rest are counted. */
export const MAX_PROBLEMS_LISTED = 3;
/** Values cut off right of the header named in one message; the rest are counted. */
export const MAX_EXTRAS_LISTED = 5;
/** Characters of a column name quoted in a message. */
const COLUMN_NAME_CHARS = 60;

export interface Limits {
  maxFieldBytes: number;
  maxColumns: number;
}

/** A whole number of at least 1, or the default; anything else is a programming error. */
export function positiveInt(name: string, value: number | undefined, dflt: number): number {
  if (value === undefined) return dflt;
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a whole number of at least 1; got ${value}`);
  return value;
}

export function resolveLimits(opts: CommonSourceOptions): Limits {
  return {
    maxFieldBytes: positiveInt('maxFieldBytes', opts.maxFieldBytes, DEFAULT_MAX_FIELD_BYTES),
    maxColumns: positiveInt('maxColumns', opts.maxColumns, DEFAULT_MAX_COLUMNS),
  };
}

/** 1,234,567: counts in messages. */
export const fmt = (n: number): string => n.toLocaleString('en-US');

/**
 * The UTF-8 length of `value` when it is over `maxBytes`, else false. The length is computed only
 * when the cheap bounds (1 to 3 bytes per UTF-16 unit) cannot decide.
 */
export function utf8Over(value: string, maxBytes: number): number | false {
  if (value.length * 3 <= maxBytes) return false;
  const bytes = Buffer.byteLength(value, 'utf8');
  return bytes > maxBytes ? bytes : false;
}

/** At most `n` UTF-16 units, never splitting a surrogate pair. */
function head(value: string, n: number): string {
  if (value.length <= n) return value;
  const code = value.charCodeAt(n - 1);
  return value.slice(0, code >= 0xd800 && code <= 0xdbff ? n - 1 : n);
}

/** What is kept of an oversized value: its start. */
export const keptPart = (value: string): string => head(value, OVERSIZED_VALUE_KEEP_CHARS);

/** A value short enough for a message or the failures file: its start and an ellipsis. */
export const preview = (value: string): string => (value.length > OVERSIZED_VALUE_KEEP_CHARS ? keptPart(value) + '…' : value);

/** A column name for a message, cut to a readable length. */
export const quotedName = (name: string): string => JSON.stringify(head(name, COLUMN_NAME_CHARS));

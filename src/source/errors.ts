// The source stage's errors: each a SourceError (a UsageError: exit 2 when raised before the first
// request) with a stable `code` to branch on. Problems of a single row are not errors: they are
// `malformed` records (see SourceRecord).
import { UsageError } from '../errors.js';

/** The file cannot be read as a table at all (not a single row's problem): exit 2. */
export class SourceError extends UsageError {
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, { code: 'source_error', ...options });
  }
}

/**
 * An encoding problem that concerns the whole file: an --encoding name we do not know, an
 * --encoding that contradicts the file's byte-order mark, or an encoding we cannot read (UTF-32).
 */
export class EncodingError extends SourceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { code: 'encoding_error', ...options });
  }
}

/**
 * A worksheet that cannot be read on: its header is unusable, or its row numbers are damaged
 * (missing, or out of order, which would merge rows in the output files and the journal).
 */
export class SheetError extends SourceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { code: 'sheet_error', ...options });
  }
}

/** A workbook's shared text table would take more memory than allowed: it is never read whole. */
export class SharedStringsTooLarge extends SourceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { code: 'shared_strings_too_large', ...options });
  }
}

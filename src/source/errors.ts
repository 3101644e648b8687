/** The file cannot be read as CSV at all (not a single row's problem): exit 2. */
export class SourceError extends Error {
  readonly code: string = 'source_error';
}

/**
 * An encoding problem that concerns the whole file: an --encoding name we do not know, an
 * --encoding that contradicts the file's byte-order mark, or an encoding we cannot read (UTF-32).
 */
export class EncodingError extends SourceError {
  override readonly code: string = 'encoding_error';
}

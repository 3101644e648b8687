// Header names as the matching sees them. Shared by the generic aliases (mapping.ts) and the
// product presets (presets.ts), which must agree on what "the same name" means.

const NOT_ALPHANUMERIC = /[^a-z0-9]/g;

/**
 * A header name reduced for matching: lower-case, accents stripped (NFKD), everything but
 * [a-z0-9] dropped. `E-mail 1 - Value` → `email1value`, `Prénom` → `prenom`.
 */
export function normalizeHeaderName(name: string): string {
  return name.normalize('NFKD').toLowerCase().replace(NOT_ALPHANUMERIC, '');
}

/** Columns whose name starts with `_` belong to the importer (a failures file's `_row`, `_error`, `_message`). */
export function isReserved(name: string): boolean {
  return name.trim().startsWith('_');
}

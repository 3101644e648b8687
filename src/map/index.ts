// The map stage: CSV header + row values → a normalized, validated LiveDesk contact.
// Pure functions; the only I/O is loadMappingFile's read of a small JSON file.
//
// The pipeline needs: detectMapping / loadMappingFile (once, from the header), describeOrigin +
// describeMapping (printed before the run), mapRow (per row), InFileDuplicates (per valid row),
// and mappingReport for `livedesk-import mapping FILE`.

export {
  ATTRIBUTE_KEYS,
  MappingError,
  describeMapping,
  describeOrigin,
  detectMapping,
  hasAnyField,
  loadMappingFile,
  mappingReport,
  mappingToSpec,
  normalizeHeaderName,
  resolveMappingSpec,
  type AttributeColumn,
  type AttributeKey,
  type FieldSource,
  type FieldSpec,
  type MappingSpec,
  type ResolvedMapping,
} from './mapping.js';
export { cleanName, cleanText, extractRow, isBlank, normalizeEmail, normalizePhone } from './normalize.js';
export { checkPhone, isCountryCode, toCountryCode, type CountryCode, type PhoneCheck } from './phone.js';
export { PRESETS, findPreset, type Preset } from './presets.js';
export {
  NO_CONTACT_DATA_MESSAGE,
  mapRow,
  normalizeContact,
  validateContact,
  type MapOptions,
  type MappedContact,
  type Validation,
} from './validate.js';
export { InFileDuplicates, SIZING_ROWS, TableSizing, cellBytes, type DuplicateKey, type InFileDuplicate } from './dedupe.js';

// The map stage: CSV header + row values → a normalized, validated LiveDesk contact.
// Pure functions; the only I/O is loadMappingFile's read of a small JSON file.

export {
  MappingError,
  describeMapping,
  detectMapping,
  hasAnyField,
  loadMappingFile,
  mappingToSpec,
  normalizeHeaderName,
  resolveMappingSpec,
  type FieldSource,
  type ResolvedMapping,
} from './mapping.js';
export { cleanName, cleanText, extractRow, isBlank, normalizeEmail, normalizePhone } from './normalize.js';
export { NO_CONTACT_DATA_MESSAGE, normalizeContact, validateContact, type Validation } from './validate.js';

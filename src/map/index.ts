// The map stage: CSV header + row values → a normalized, validated LiveDesk contact.
// Pure functions; the only I/O is loadMappingFile's read of a small JSON file.
//
// The pipeline needs: detectMapping / loadMappingFile (once, from the header), describeOrigin +
// describeMapping (printed before the run), mapRow (per row), InFileDuplicates (per valid row),
// and mappingReport for `livedesk-import mapping FILE`.

export {
  ATTRIBUTE_KEYS,
  MappingError,
  hasAnyField,
  type AttributeColumn,
  type AttributeKey,
  type FieldSource,
  type FieldSpec,
  type MappingSpec,
  type ResolvedMapping,
} from './mapping.js';
export { detectMapping } from './detect.js';
export { loadMappingFile, resolveMappingSpec } from './mapping-file.js';
export { describeMapping, describeOrigin, mappingReport, mappingToSpec } from './describe.js';
export { normalizeHeaderName } from './names.js';
export { cleanIdentifier, cleanName, cleanText, isBlank, isPlaceholder, normalizeEmail, normalizePhone } from './normalize.js';
export { checkPhone, isCountryCode, toCountryCode, type CountryCode, type PhoneCheck } from './phone.js';
export { PRESETS, findPreset, type Preset } from './presets.js';
export { countryOf } from './country.js';
export {
  INVALID_PHONE_MODES,
  NO_CONTACT_DATA_MESSAGE,
  mapRow,
  type InvalidPhoneMode,
  type MapOptions,
  type MappedContact,
  type Validation,
} from './validate.js';
export { InFileDuplicates, type DuplicateKey, type InFileDuplicate } from './dedupe.js';
export { MapStage, isBlankRow, type MapStageOptions } from './stage.js';

// Flags + environment + job file → one validated, typed Options object (exit 2 on error). The
// options are declared once, in options/table.ts; see options/ for what is derived from them.
export { UsageError } from './errors.js';
export { normalizeOptions, type Options, type RunMode } from './options/normalize.js';
export {
  DEFAULT_BASE_URL,
  defaultOutputPath,
  LOG_LEVELS,
  ON_EXISTING,
  OPTIONS,
  type LogLevel,
  type OnExisting,
  type OptionKey,
  type RawArgs,
} from './options/table.js';

// How an option is declared, and how one declared option is read. The declarations themselves are
// in table.ts; everything else (yargs, the job-file schema, Options, --help, the README's table) is
// derived from them, so a flag's name, type, default, limits and text are written once.
import { UsageError } from '../errors.js';

interface Common {
  /** One line for --help (without the default or the env variable: those are added from below). */
  help: string;
  /** The README's longer text, when it says more than `help`. */
  doc?: string;
  /** The value's placeholder in the README: `--rate N`. */
  arg?: string;
  /** An environment variable that stands in for the flag; the flag wins. */
  env?: string;
  /** Allowed as a key of a --config job file; 'path': resolved against the job file, {date} filled. */
  job: boolean | 'path';
  /** The Options field it becomes: the option's own name unless renamed; false: read by normalize only. */
  field?: string | false;
  /** Accepted (old scripts keep working), ignored, and this is said as a warning. */
  deprecated?: string;
  /** How --help and the README describe a default that is not a constant. */
  defaultText?: string;
  /** The command's positional argument (`<file>`), not a flag. */
  positional?: true;
  /** Its key in a job file, when not the option's own name. */
  jobKey?: string;
}

export interface StringSpec<T = string> extends Common {
  type: 'string';
  /** Applied by normalizeOptions; a function derives it from the input file's path. */
  default?: string | ((file: string) => string);
  choices?: readonly string[];
  /** Check and convert the trimmed, non-empty text; throw a UsageError that names `flag`. */
  parse?: (text: string, flag: string) => T;
  /** Not trimmed: a literal space or tab is a value. */
  keepSpaces?: true;
  /** Said after "needs a value". */
  valueHint?: string;
  /** A job file may also give it as a whole number (YAML `inboxId: 407`). */
  jobNumber?: true;
}

export interface NumberSpec extends Common {
  type: 'number';
  default?: number;
  min?: number;
  max?: number;
  integer?: boolean;
}

export interface BooleanSpec extends Common {
  type: 'boolean';
}

export type OptionSpec = StringSpec<unknown> | NumberSpec | BooleanSpec;

// ---------------------------------------------------------------- types derived from a declaration
/** The value normalizeOptions reads for a declaration. */
export type ValueOf<S> = S extends { type: 'boolean' }
  ? boolean
  : S extends { type: 'number' }
    ? number
    : S extends { parse: (text: string, flag: string) => infer T }
      ? T
      : S extends { choices: readonly (infer C)[] }
        ? C
        : string;

/** Always has a value after normalizeOptions: a boolean, or anything with a default. */
export type AlwaysSet<S> = S extends { type: 'boolean' } ? true : S extends { default: unknown } ? true : false;

/** `maxFieldSize` → `max-field-size`. */
export const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
/** How messages name an option: `--max-field-size` (the positional too: `--file`). */
export const flagOf = (key: string): string => `--${kebab(key)}`;

/** `a, b or c` for a few choices, `one of a, b, c, d` for more. */
export function oneOf(choices: readonly string[]): string {
  if (choices.length > 3) return `one of ${choices.join(', ')}`;
  return choices.length === 1 ? String(choices[0]) : `${choices.slice(0, -1).join(', ')} or ${choices[choices.length - 1]}`;
}

// ---------------------------------------------------------------- reading one option
function readNumber(flag: string, spec: NumberSpec, value: unknown): number | undefined {
  if (value === undefined) return spec.default;
  if (Array.isArray(value)) throw new UsageError(`${flag} was given more than once`);
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  const min = spec.min ?? -Infinity;
  const max = spec.max ?? Infinity;
  if (!Number.isFinite(n) || (spec.integer && !Number.isInteger(n)) || n < min || n > max) {
    // yargs turns a number flag's non-numeric text into NaN, which JSON.stringify would show as null.
    const got = typeof value === 'number' && Number.isNaN(value) ? 'a value that is not a number' : JSON.stringify(value);
    throw new UsageError(`${flag} must be ${spec.integer ? 'a whole number' : 'a number'} from ${min} to ${max}; got ${got}`);
  }
  return n;
}

function readText(flag: string, spec: StringSpec<unknown>, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) throw new UsageError(`${flag} was given more than once`);
  const text = spec.keepSpaces ? String(value) : String(value).trim();
  if (text === '') throw new UsageError(`${flag} needs a value${spec.valueHint ? ` (${spec.valueHint})` : ''}`);
  return text;
}

function checkText(flag: string, spec: StringSpec<unknown>, text: string, given: unknown): unknown {
  if (spec.choices && !spec.choices.includes(text)) throw new UsageError(`${flag} must be ${oneOf(spec.choices)}; got ${JSON.stringify(given)}`);
  return spec.parse ? spec.parse(text, flag) : text;
}

/**
 * One option's value: the flag (or job file), else its environment variable, else its default;
 * checked against its declaration, with a message that names the flag and shows the value.
 * `file` is the input's path, for defaults derived from it.
 */
export function readOption(key: string, spec: OptionSpec, value: unknown, env: NodeJS.ProcessEnv, file: string): unknown {
  const flag = flagOf(key);
  if (spec.type === 'boolean') return value === true;
  if (spec.type === 'number') return readNumber(flag, spec, value);
  const text = readText(flag, spec, value);
  if (text !== undefined) return checkText(flag, spec, text, value);
  const fromEnv = spec.env === undefined ? undefined : env[spec.env]?.trim();
  if (fromEnv !== undefined && fromEnv !== '') return checkText(flag, spec, fromEnv, fromEnv);
  // A variable set but blank never falls back to a built-in default (`LIVEDESK_BASE_URL=` must not
  // mean production): it is checked as given. Without a default, blank is the same as unset.
  if (fromEnv === '' && spec.default !== undefined) return checkText(flag, spec, fromEnv, fromEnv);
  if (spec.default === undefined) return undefined;
  return checkText(flag, spec, typeof spec.default === 'function' ? spec.default(file) : spec.default, spec.default);
}

// ---------------------------------------------------------------- what --help and the README say
/** The default as --help and the README describe it, if there is one to tell. */
export function defaultText(spec: OptionSpec): string | undefined {
  if (spec.defaultText !== undefined) return spec.defaultText;
  return spec.type !== 'boolean' && spec.default !== undefined && typeof spec.default !== 'function' ? String(spec.default) : undefined;
}

/** A number's limits, `1–256`, if it has them. */
export function limitsText(spec: OptionSpec): string | undefined {
  return spec.type === 'number' && spec.min !== undefined && spec.max !== undefined ? `${spec.min}–${spec.max}` : undefined;
}

/** The --help line: `help [env X] (1–256, default D)`. */
export function helpLine(spec: OptionSpec): string {
  const dflt = defaultText(spec);
  const notes = [limitsText(spec), dflt === undefined ? undefined : `default ${dflt}`].filter((n) => n !== undefined);
  return `${spec.help}${spec.env ? ` [env ${spec.env}]` : ''}${notes.length === 0 ? '' : ` (${notes.join(', ')})`}`;
}

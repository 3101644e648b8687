// What the command line and the docs show, derived from the option table: yargs' configuration
// of the import command (with its --help lines), and the README's table of flags.
import type { Options as YargsOption, PositionalOptions } from 'yargs';
import { defaultText, helpLine, kebab, limitsText, type OptionSpec } from './spec.js';
import { OPTION_LIST, OPTIONS, type OptionKey } from './table.js';

function yargsOption(spec: OptionSpec): YargsOption {
  // No `default` here, ever: a default given to yargs would win over the job file. normalizeOptions
  // applies the table's defaults after the job file and the flags are merged.
  return {
    type: spec.type,
    describe: helpLine(spec),
    ...(spec.type === 'string' && spec.choices ? { choices: [...spec.choices] } : {}),
  };
}

/** yargs' options for the import command (all flags, or only `keys`), by kebab-case flag name. */
export function yargsOptions(keys?: readonly OptionKey[]): Record<string, YargsOption> {
  const wanted = keys === undefined ? undefined : new Set<string>(keys);
  return Object.fromEntries(
    OPTION_LIST.filter(([key, spec]) => !spec.positional && (wanted === undefined || wanted.has(key))).map(([key, spec]) => [kebab(key), yargsOption(spec)]),
  );
}

/** The positional `<file>`. */
export function yargsPositional(): PositionalOptions {
  return { type: 'string', describe: helpLine(OPTIONS.file) };
}

/** `LIVEDESK_INBOX_ID and LIVEDESK_BASE_URL may stand in for --inbox-id and --base-url.` */
export function envSentence(): string {
  const withEnv = OPTION_LIST.filter(([, spec]) => spec.env !== undefined);
  const list = (items: string[]): string => (items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`);
  return `${list(withEnv.map(([, s]) => String(s.env)))} may stand in for ${list(withEnv.map(([k]) => `--${kebab(k)}`))}.`;
}

const code = (s: string): string => `\`${s}\``;
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function readmeDefault(spec: OptionSpec): string {
  const text = defaultText(spec);
  const shown = text === undefined ? undefined : spec.type === 'number' ? text : /^<input>/.test(text) ? code(text.replace(/ beside the input$/, '')) : spec.defaultText ? text : code(text);
  if (spec.env !== undefined) return `env ${code(spec.env)}${shown === undefined ? '' : `, else ${cell(shown)}`}`;
  if (shown !== undefined) return cell(shown);
  if (spec.deprecated) return 'ignored';
  return spec.type === 'boolean' ? 'off' : spec.positional ? '' : 'none';
}

/** The README's "Options" table (markdown), one row per option in table order. */
export function markdownTable(): string {
  const rows = OPTION_LIST.map(([key, spec]) => {
    const flag = spec.positional ? `<${key}>` : `--${kebab(key)}${spec.arg ? ` ${spec.arg}` : ''}`;
    const limits = limitsText(spec);
    const meaning = `${spec.doc ?? cell(spec.help)}${limits === undefined ? '' : ` (${limits})`}`;
    const dflt = readmeDefault(spec);
    return `| ${code(flag)} |${dflt === '' ? '' : ` ${dflt}`} | ${meaning} |`;
  });
  return ['| flag | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

// Job files (--config job.json|.yaml): every option a scheduled run takes, kept under version
// control. The keys are the options' own names in camelCase (`inbox-id` → `inboxId`), `input` for
// the file; the schema is built from the option table, so a job file takes exactly the options
// whose declaration says `job`, with their types, choices and limits. Flags given on the command
// line win over the file. Secrets never live in a job file: only the environment or a credentials
// file named in it. Loaded lazily by the CLI: YAML and zod load only for --config.
import { readFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { parseJsonQuietly, where } from '../security/parse-errors.js';
import { parseYamlQuietly } from '../security/yaml-errors.js';
import type { OptionSpec } from './spec.js';
import type { PathTemplates } from './dated-run.js';
import { dryRunName, OPTION_LIST, type OptionKey, type RawArgs } from './table.js';
export { findStoppedRun } from './dated-run.js';

/** The options a job file may set, under their job-file keys. */
const JOB_OPTIONS = OPTION_LIST.filter(([, spec]) => spec.job !== false).map(([key, spec]) => ({ key, jobKey: spec.jobKey ?? key, spec }));

function schemaFor(spec: OptionSpec): z.ZodType {
  switch (spec.type) {
    case 'boolean':
      return z.boolean();
    case 'number': {
      let n = z.number();
      if (spec.integer) n = n.int();
      if (spec.min !== undefined) n = n.min(spec.min);
      if (spec.max !== undefined) n = n.max(spec.max);
      return n;
    }
    case 'string': {
      const text = spec.choices ? z.enum(spec.choices as readonly [string, ...string[]]) : z.string().min(1);
      return spec.jobNumber ? z.union([text, z.number().int()]) : text;
    }
  }
}

/** Every key optional, unknown keys refused. */
export const JobSchema = z.strictObject(Object.fromEntries(JOB_OPTIONS.map(({ jobKey, spec }) => [jobKey, schemaFor(spec).optional()])));

/** The keys a job file may hold. */
export const JOB_KEYS: readonly string[] = JOB_OPTIONS.map(({ jobKey }) => jobKey);

/** Keys that would put a secret in a file people commit. */
export const SECRET_KEY = /(secret|password|passwd|token|api_?key|apikey|authorization)/i;

const pad = (n: number): string => String(n).padStart(2, '0');

/** {date} → 2026-11-25, {time} → 0230, {datetime} → 2026-11-25T0230, in local time (as cron runs). */
export function fillPlaceholders(text: string, now: Date): string {
  const date = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  const time = `${pad(now.getHours())}${pad(now.getMinutes())}`;
  return text.replace(/\{(date|time|datetime)\}/g, (_m, k: string) => (k === 'date' ? date : k === 'time' ? time : `${date}T${time}`));
}

/**
 * The parsers' own messages quote the line at fault, which is where a pasted secret would be: the
 * error says the line and column and the kind of mistake, never the text (security/parse-errors.ts).
 */
function parseJobText(path: string, text: string): unknown {
  const yaml = /^\.ya?ml$/i.test(extname(path));
  const parsed = yaml ? parseYamlQuietly(text) : parseJsonQuietly(text);
  if (parsed.ok) return parsed.value;
  throw new UsageError(`--config ${path} is not valid ${yaml ? 'YAML' : 'JSON'}${where(parsed.failure)}: ${parsed.failure.what}. Fix that line (its text is not shown here: it may hold a secret)`);
}

/** The job file's options as raw arguments (paths resolved against the job file, placeholders filled). */
export function loadJobFile(path: string, now = new Date()): RawArgs {
  return loadJob(path, now).args;
}

/**
 * zod names unknown keys, and values never. A "key" that does not look like an option name (a
 * token pasted on a line of its own reads as one in YAML) is not repeated: it may be a secret.
 */
function withoutSecretKeys(error: z.ZodError): z.ZodError {
  for (const issue of error.issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    const named = issue.keys.map((k) => (/^[A-Za-z][A-Za-z-]{0,39}$/.test(k) || /^[A-Za-z][A-Za-z0-9]{0,15}$/.test(k) ? JSON.stringify(k) : '(a key that is not an option name, not shown)'));
    (issue as { message: string }).message = `Unrecognized key${named.length === 1 ? '' : 's'}: ${named.join(', ')}`;
  }
  return error;
}

/** loadJobFile's arguments, and the path options as written (resolved, placeholders not filled): --resume finds a dated run with them. */
export function loadJob(path: string, now = new Date()): { args: RawArgs; templates: PathTemplates } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`--config ${path} cannot be read: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, { cause: e });
  }
  const data = parseJobText(path, text);
  if (data && typeof data === 'object' && !Array.isArray(data)) {
    const secrets = Object.keys(data).filter((k) => SECRET_KEY.test(k));
    if (secrets.length > 0) {
      throw new UsageError(
        `--config ${path} has ${secrets.map((k) => JSON.stringify(k)).join(', ')}: secrets are never read from a job file. ` +
          'Set LIVEDESK_API_KEY and LIVEDESK_API_SECRET in the environment, or name a credentials file with "credentialsFile", and remove the key from the job file',
      );
    }
  }
  const parsed = JobSchema.safeParse(data);
  if (!parsed.success) throw new UsageError(`--config ${path} has errors:\n${z.prettifyError(withoutSecretKeys(parsed.error))}`);
  const job = parsed.data as Record<string, unknown>;
  const base = dirname(resolve(path));
  const out: Partial<Record<OptionKey, unknown>> = {};
  const templates: PathTemplates = {};
  for (const { key, jobKey, spec } of JOB_OPTIONS) {
    let value = job[jobKey];
    if (value === undefined) continue;
    if (spec.job === 'path' && typeof value === 'string') {
      if (key === 'file' || key === 'results' || key === 'failures' || key === 'journal') templates[key] = isAbsolute(value) ? value : resolve(base, value);
      const filled = fillPlaceholders(value, now);
      value = isAbsolute(filled) ? filled : resolve(base, filled);
    }
    if (spec.type === 'string' && typeof value === 'number') value = String(value);
    out[key] = value;
  }
  return { args: out, templates };
}

/**
 * Flags given on the command line (not undefined) win over the job file — `--resume` over the
 * file's `force: true` too (and `--force` over its `resume`): they are not a contradiction.
 */
export function mergeArgs(job: RawArgs, flags: RawArgs): RawArgs {
  const merged: Record<string, unknown> = { ...job };
  if (flags.resume === true) delete merged.force;
  if (flags.force === true) delete merged.resume;
  // The job's output paths are its live run's: a dry run of the job writes beside them.
  if (flags.dryRun === true || job.dryRun === true) {
    for (const k of ['results', 'failures'] as const) {
      if (flags[k] === undefined && typeof job[k] === 'string') merged[k] = dryRunName(job[k]);
    }
  }
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) merged[k] = v;
  return merged as RawArgs;
}

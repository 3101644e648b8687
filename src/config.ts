// Job files (--config job.json|.yaml): every option a scheduled run takes, kept under version
// control. Validated here with clear messages; flags given on the command line win over the file.
// Secrets never live in a job file: only the environment or a credentials file named in it.
import { readFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { RawArgs } from './options.js';
import { UsageError } from './options.js';

const positive = z.number().positive();
const int = z.number().int();

/** The job file's keys: the CLI flags in camelCase (`inbox-id` → `inboxId`), `input` for the file. */
const JobSchema = z.strictObject({
  input: z.string().min(1).optional(),
  inboxId: z.union([z.string().min(1), int]).optional(),
  baseUrl: z.string().min(1).optional(),
  mapping: z.string().min(1).optional(),
  concurrency: int.optional(),
  rate: positive.optional(),
  retries: int.optional(),
  timeout: int.optional(),
  results: z.string().min(1).optional(),
  failures: z.string().min(1).optional(),
  summary: z.string().min(1).optional(),
  journal: z.string().min(1).optional(),
  report: z.string().min(1).optional(),
  dryRun: z.boolean().optional(),
  checkExisting: z.boolean().optional(),
  onExisting: z.enum(['skip', 'update', 'fail']).optional(),
  maxConsecutiveFailures: int.optional(),
  threads: int.optional(),
  delimiter: z.string().min(1).optional(),
  encoding: z.string().min(1).optional(),
  sheet: z.string().min(1).optional(),
  defaultCountry: z.string().min(1).optional(),
  maxFieldSize: int.optional(),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).optional(),
  logFile: z.string().min(1).optional(),
  credentialsFile: z.string().min(1).optional(),
  allowInsecureHttp: z.boolean().optional(),
  rawOutput: z.boolean().optional(),
  force: z.boolean().optional(),
  quiet: z.boolean().optional(),
});
export type JobFile = z.infer<typeof JobSchema>;

/** Keys that would put a secret in a file people commit. */
const SECRET_KEY = /(secret|password|passwd|token|api_?key|apikey|authorization)/i;

/** Path-valued keys: relative to the job file, with date placeholders filled in. */
const PATH_KEYS = ['input', 'mapping', 'results', 'failures', 'summary', 'journal', 'report', 'logFile', 'credentialsFile'] as const;

const pad = (n: number): string => String(n).padStart(2, '0');

/** {date} → 2026-11-25, {time} → 0230, {datetime} → 2026-11-25T0230, in local time (as cron runs). */
export function fillPlaceholders(text: string, now: Date): string {
  const date = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  const time = `${pad(now.getHours())}${pad(now.getMinutes())}`;
  return text.replace(/\{(date|time|datetime)\}/g, (_m, k: string) => (k === 'date' ? date : k === 'time' ? time : `${date}T${time}`));
}

function parseJobText(path: string, text: string): unknown {
  const ext = extname(path).toLowerCase();
  try {
    return ext === '.yaml' || ext === '.yml' ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--config ${path} is not valid ${ext === '.yaml' || ext === '.yml' ? 'YAML' : 'JSON'}: ${(e as Error).message}`);
  }
}

export function loadJobFile(path: string, now = new Date()): RawArgs {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`--config ${path} cannot be read: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
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
  if (!parsed.success) throw new UsageError(`--config ${path} has errors:\n${z.prettifyError(parsed.error)}`);
  const job = parsed.data;
  const base = dirname(resolve(path));
  const out: Record<string, unknown> = { ...job };
  for (const k of PATH_KEYS) {
    const v = job[k];
    if (v !== undefined) {
      const filled = fillPlaceholders(v, now);
      out[k] = isAbsolute(filled) ? filled : resolve(base, filled);
    }
  }
  const { input, inboxId, ...rest } = out;
  return { ...rest, ...(input === undefined ? {} : { file: input }), ...(inboxId === undefined ? {} : { inboxId: String(inboxId) }) } as RawArgs;
}

/** Flags given on the command line (not undefined) win over the job file. */
export function mergeArgs(job: RawArgs, flags: RawArgs): RawArgs {
  const merged: Record<string, unknown> = { ...job };
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) merged[k] = v;
  return merged as RawArgs;
}

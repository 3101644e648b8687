// `--resume` for a job whose paths hold {date} or {time}: "the same command plus --resume" must
// finish the stopped run even after midnight, when today's names point at files that do not
// exist. The journal of a stopped run records its resolved paths, so the unfinished journal that
// matches the job's path template is found and its paths are used.
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import type { RawArgs } from './table.js';
import { defaultOutputPath, journalFor } from './table.js';

const PLACEHOLDER = /\{(date|time|datetime)\}/;
const PATTERN: Record<string, string> = { date: '\\d{4}-\\d{2}-\\d{2}', time: '\\d{4}', datetime: '\\d{4}-\\d{2}-\\d{2}T\\d{4}' };

/** Path templates from a job file: absolute, placeholders not filled. */
export type PathTemplates = Partial<Record<'file' | 'results' | 'failures' | 'journal', string>>;

function segmentRegex(segment: string): RegExp {
  const parts = segment.split(/(\{(?:date|time|datetime)\})/);
  const body = parts.map((p) => (PLACEHOLDER.test(p) ? PATTERN[p.slice(1, -1)]! : p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`);
}

/** Every existing path the template can stand for, walking only the segments that hold a placeholder. */
function expand(template: string): string[] {
  const segments = template.split(sep);
  let found = [segments[0] === '' ? sep : segments[0]!];
  for (const segment of segments.slice(1)) {
    if (!PLACEHOLDER.test(segment)) {
      found = found.map((d) => join(d, segment));
      continue;
    }
    const re = segmentRegex(segment);
    const next: string[] = [];
    for (const dir of found) {
      if (!existsSync(dir) || !statSync(dir).isDirectory()) continue;
      for (const name of readdirSync(dir)) if (re.test(name)) next.push(join(dir, name));
    }
    found = next;
  }
  return found.filter((p) => existsSync(p));
}

interface JournalFacts {
  startedAt: string;
  input: string;
  results: string;
  failures: string;
}

/** The header of an unfinished journal (its last entry is not the end entry), or undefined. */
function unfinished(path: string): JournalFacts | undefined {
  const fd = openSync(path, 'r');
  try {
    const size = statSync(path).size;
    const head = Buffer.alloc(Math.min(size, 1 << 20));
    readSync(fd, head, 0, head.length, 0);
    const first = head.toString('utf8', 0, Math.max(0, head.indexOf(10)));
    const tail = Buffer.alloc(Math.min(size, 4096));
    readSync(fd, tail, 0, tail.length, size - tail.length);
    const lines = tail.toString('utf8').trimEnd().split('\n');
    if (lines[lines.length - 1]!.startsWith('{"e":')) return undefined;
    const h = JSON.parse(first) as { startedAt?: string; identity?: { input?: { path?: string } }; files?: { results?: { path?: string }; failures?: { path?: string } } };
    const input = h.identity?.input?.path;
    const results = h.files?.results?.path;
    const failures = h.files?.failures?.path;
    if (!h.startedAt || !input || !results || !failures) return undefined;
    return { startedAt: h.startedAt, input, results, failures };
  } catch {
    return undefined; // not a journal this version reads: --resume will say so for today's path
  } finally {
    closeSync(fd);
  }
}

/**
 * With --resume and dated paths: the newest unfinished run of this job, its paths put in place of
 * today's, and a line saying which run that is. Unchanged when no template has a placeholder, when
 * the command line names the input or an output (flags win, as always), when today's run is the
 * unfinished one, or when no unfinished run is found (the resume then says so).
 */
export function findStoppedRun(args: RawArgs, templates: PathTemplates, flags: RawArgs): { args: RawArgs; note?: string } {
  if (args.resume !== true || !Object.values(templates).some((t) => t !== undefined && PLACEHOLDER.test(t))) return { args };
  if (flags.file !== undefined || flags.results !== undefined || flags.failures !== undefined || flags.journal !== undefined) return { args };
  const input = templates.file;
  const results = templates.results ?? (input ? defaultOutputPath(input, 'results') : undefined);
  const journalTemplate = templates.journal ?? (results ? journalFor(results) : undefined);
  if (!journalTemplate || !PLACEHOLDER.test(journalTemplate)) return { args };
  const today =
    typeof args.journal === 'string'
      ? args.journal
      : journalFor(typeof args.results === 'string' ? args.results : defaultOutputPath(String(args.file ?? ''), 'results'));
  // Today's run stopped: that is the one. Finished (or none): look for another night's.
  if (existsSync(today) && unfinished(today)) return { args };
  const runs = expand(journalTemplate)
    .map((path) => ({ path, facts: unfinished(path) }))
    .filter((r): r is { path: string; facts: JournalFacts } => r.facts !== undefined)
    .sort((a, b) => b.facts.startedAt.localeCompare(a.facts.startedAt));
  const newest = runs[0];
  if (!newest) return { args };
  const others = runs.slice(1).map((r) => `  ${r.path} (started ${r.facts.startedAt})`);
  const note =
    `Resuming the stopped run of this job started at ${newest.facts.startedAt} (journal ${newest.path}).` +
    (others.length > 0 ? `\nOther runs of this job did not finish either; resume each with --journal:\n${others.join('\n')}` : '');
  return { args: { ...args, file: newest.facts.input, results: newest.facts.results, failures: newest.facts.failures, journal: newest.path }, note };
}

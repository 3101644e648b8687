// Before anything is written or sent: every file a run will write is checked against the input and
// against each other by what it really is (the folder's real path plus the name, and device +
// inode when it exists), not by how its path is spelled: `./in.csv`, an absolute path,
// `d/../d/in.csv`, a hard link or a symbolic link to the input are all the input. An output that
// is the input is refused in every mode, with --force too: nothing may replace, move aside or
// append to the file being read. Then each output path is checked usable: no symbolic link (a
// dangling one would create its target, a live one would send the data elsewhere), no device,
// FIFO or socket, and a folder this process can really write in (a probe file is created and
// removed: permission bits do not tell for root, read-only mounts or ACLs). The log file, which is
// appended to, is opened as the logger will open it. Every refusal is one line, exit 2, nothing sent.
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, lstatSync, readlinkSync, realpathSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Options } from '../options.js';
import { placeOf } from '../state/files.js';
import { createPrivate, openAppend, OutputPathError } from './private-file.js';

export interface OutputTarget {
  /** How messages name it: `--results`, `the lock file of --results`. */
  label: string;
  path: string;
  /**
   * new: a file created new, or written to a temporary file renamed over the path (its folder must
   * be writable); append: written at its end (the log file; a resumed run's journal); other: a file
   * another module makes and guards (locks, the state store), compared only.
   */
  how: 'new' | 'append' | 'other';
}

/** The run opens a state store (plan.ts opens it on this same condition). */
export function usesStateStore(opts: Options): boolean {
  return !(opts.noState || opts.mode === 'check' || opts.apiKey === '' || opts.inboxId === '');
}

/** Every file this run writes, as plan.ts, log.ts and run.ts will open it. */
export async function outputTargets(opts: Options): Promise<OutputTarget[]> {
  const t: OutputTarget[] = [];
  // plan.ts makes these three absolute (lexically) before opening them: check what it will open.
  const locked: Array<[string, string]> = [];
  if (opts.mode !== 'dry-run') locked.push(['--results', resolve(opts.results)]);
  locked.push(['--failures', resolve(opts.failures)]);
  if (opts.mode === 'import') locked.push(['--journal', resolve(opts.journal)]);
  for (const [label, path] of locked) {
    t.push({ label, path, how: label === '--journal' && opts.resume ? 'append' : 'new' });
    t.push({ label: `the lock file of ${label}`, path: `${path}.lock`, how: 'other' });
  }
  if (opts.summary !== undefined) t.push({ label: '--summary', path: opts.summary, how: 'new' });
  if (opts.report !== undefined) t.push({ label: '--report', path: opts.report, how: 'new' });
  if (opts.logFile !== undefined) t.push({ label: '--log-file', path: opts.logFile, how: 'append' });
  if (usesStateStore(opts)) {
    // `--state FILE`: that file is written (a folder holds files named for their scope, never the input's name).
    const place = await placeOf(opts.state);
    if (place.kind === 'file') t.push({ label: '--state', path: place.file, how: 'other' });
  }
  return t;
}

/** What a path is: where its folder really is plus its name, and device + inode when something is there. */
interface Identity {
  where?: string;
  dev?: number;
  ino?: number;
  /** The path itself is a symbolic link: what it says (identity above is where it leads). */
  link?: string;
  /** What is at the path (after links), when something is. */
  stats?: Stats;
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** Follows links one by one, so a dangling link still says where it would create a file. */
function identify(path: string, hops = 0): Identity {
  let where: string;
  try {
    // The folder resolved by the kernel (`link/..` is the link target's parent), the name as given.
    where = join(realpathSync(dirname(path)), basename(path));
  } catch {
    where = resolve(path);
  }
  const st = lstatOrUndefined(path);
  if (st?.isSymbolicLink() && hops < 40) {
    const target = readlinkSync(path);
    // Not path.resolve: it would fold `..` lexically, and the kernel does not.
    const next = identify(target.startsWith('/') ? target : `${dirname(where)}/${target}`, hops + 1);
    return { ...next, link: target };
  }
  return st === undefined ? { where } : { where, dev: st.dev, ino: st.ino, stats: st };
}

function inputIdentity(file: string): Identity {
  if (file === '-') {
    // Standard input redirected from a file (`< in.csv`) is that file.
    try {
      const st = fstatSync(0);
      return { dev: st.dev, ino: st.ino };
    } catch {
      return {};
    }
  }
  const id = identify(file);
  if (id.ino !== undefined) return id;
  // A link the walk above could not follow by name (`/dev/fd/63` from `<(…)` leads to `pipe:[…]`): the kernel can.
  try {
    const st = statSync(file);
    return { ...id, dev: st.dev, ino: st.ino };
  } catch {
    return id;
  }
}

const same = (a: Identity, b: Identity): boolean =>
  (a.ino !== undefined && b.ino !== undefined && a.dev === b.dev && a.ino === b.ino) || (a.where !== undefined && a.where === b.where);

function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Creates and removes a file in `dir`: the one test that tells whether this process can write there. */
function probeFolder(dir: string): NodeJS.ErrnoException | undefined {
  const probe = join(dir, `.livedesk-import-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    closeSync(createPrivate(probe));
    unlinkSync(probe);
    return undefined;
  } catch (e) {
    return e as NodeJS.ErrnoException;
  }
}

/** Refuses (OutputPathError, exit 2) any output that is the input, another output, a link, not a file, or not writable. */
export function checkOutputTargets(input: string, targets: readonly OutputTarget[]): void {
  const inputId = inputIdentity(input);
  const ids = targets.map((t) => identify(t.path));
  targets.forEach((t, i) => {
    const id = ids[i]!;
    if (!same(id, inputId)) return;
    const how = id.link !== undefined ? ` (a symbolic link to it)` : id.where !== inputId.where && id.ino !== undefined ? ' (another name of the same file)' : '';
    throw new OutputPathError(`${t.label} ${t.path} is the input file ${input}${how}: it would be destroyed. Choose another path (--force does not change this)`);
  });
  for (let i = 0; i < targets.length; i++) {
    for (let j = i + 1; j < targets.length; j++) {
      if (same(ids[i]!, ids[j]!)) {
        throw new OutputPathError(`${targets[i]!.label} ${targets[i]!.path} and ${targets[j]!.label} ${targets[j]!.path} are the same file: give each output a path of its own`);
      }
    }
  }
  const probed = new Map<string, NodeJS.ErrnoException | undefined>();
  targets.forEach((t, i) => {
    if (t.how === 'other') return;
    const id = ids[i]!;
    if (id.link !== undefined) {
      throw new OutputPathError(
        `${t.label} ${t.path} is a symbolic link (to ${id.link}): refused, outputs are never written through a link (--force does not change this). Remove the link or give the real path`,
      );
    }
    if (id.stats !== undefined && !id.stats.isFile()) {
      throw new OutputPathError(`${t.label} ${t.path} is ${kindOf(id.stats)}: outputs are written as files of their own. Give the path of a file`);
    }
    if (t.how === 'append') {
      // A resumed run's journal must exist (journal-resume.ts says so when it does not).
      const create = t.label === '--log-file';
      if (!create && id.stats === undefined) return;
      closeSync(openAppend(t.path, t.label, create));
      return;
    }
    const dir = dirname(id.where ?? resolve(t.path));
    if (!probed.has(dir)) probed.set(dir, probeFolder(dir));
    const error = probed.get(dir);
    if (error !== undefined) {
      throw new OutputPathError(`${t.label} ${t.path}: cannot create files in the folder ${dir} (${error.code ?? error.message}). Choose a folder this user can write in, or fix its permissions`, { cause: error });
    }
  });
}

/** Every output of this run checked before the logger, the lock or the first request. */
export async function checkOutputs(opts: Options): Promise<void> {
  checkOutputTargets(opts.file, await outputTargets(opts));
}

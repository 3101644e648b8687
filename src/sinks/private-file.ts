// How every output file is opened: new and private, or appended to without following a link.
// Opening with mode 0600 changes nothing about a file that already exists, and a plain open
// follows a symbolic link to wherever it points; these three ways of opening are the only ones
// outputs use, so neither can happen:
// - createPrivate: a new file (O_EXCL: never over a file, never through a link), mode set to
//   exactly 0600 whatever the umask;
// - writePrivateFile: a whole file written to a new temporary file beside it and renamed over the
//   path (the summary, the report): a reader never sees half of it, and the file in place
//   afterwards is a new 0600 file whatever was there before (a link there is replaced, not followed);
// - openAppend: an existing file written at its end (the log file, a resumed run's files):
//   O_NOFOLLOW refuses a link; a file of ours with a looser mode is made 0600, one of another
//   user's that others can read is refused (its mode is not ours to change).
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fstatSync, fsyncSync, openSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { UsageError } from '../errors.js';

export const PRIVATE_MODE = 0o600;

/** An output path that cannot be used as it is (a link, the input, another user's loose file): exit 2, nothing sent. */
export class OutputPathError extends UsageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { code: 'output_path', ...options });
  }
}

const { O_WRONLY, O_CREAT, O_EXCL, O_APPEND, O_NOFOLLOW } = constants;

/** A new private file at `path` (fails with EEXIST when anything, a dangling link included, is there). */
export function createPrivate(path: string): number {
  const fd = openSync(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, PRIVATE_MODE);
  try {
    // The umask may have taken bits off 0600 (never added any): the mode is exactly 0600.
    fchmodSync(fd, PRIVATE_MODE);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return fd;
}

const mode = (m: number): string => (m & 0o777).toString(8).padStart(4, '0');

/**
 * Opens `path` to write at its end, never through a link. `what` names it in messages ("--log-file").
 * With `create`, a missing file is created 0600. A regular file of ours with group or other bits is
 * made 0600; another user's is refused unless it is already private.
 */
export function openAppend(path: string, what: string, create = false): number {
  let fd: number;
  try {
    fd = openSync(path, O_WRONLY | O_APPEND | O_NOFOLLOW | (create ? O_CREAT : 0), PRIVATE_MODE);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'EMLINK') {
      throw new OutputPathError(`${what} ${path} is a symbolic link: refused, outputs are never written through a link. Remove the link or give the real path`, { cause: e });
    }
    throw new OutputPathError(`cannot open ${what} ${path} to append to it (${code ?? (e as Error).message}): check the file and its folder can be written`, { cause: e });
  }
  try {
    const st = fstatSync(fd);
    if (st.isFile() && (st.mode & 0o077) !== 0) {
      const uid = process.getuid?.();
      if (uid !== undefined && st.uid !== uid) {
        throw new OutputPathError(
          `${what} ${path} has mode ${mode(st.mode)} and belongs to another user (uid ${st.uid}): it holds personal data and cannot be made private here. ` +
            `Have its owner run chmod 600 ${path}, or choose another path`,
        );
      }
      fchmodSync(fd, PRIVATE_MODE);
    }
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return fd;
}

/**
 * Writes `text` as the whole content of `path`: to a new private temporary file in the same folder,
 * synced, then renamed over `path`. Errors say which file.
 */
export function writePrivateFile(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  let fd: number | undefined;
  try {
    fd = createPrivate(tmp);
    writeFileSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // Never created, or already renamed: nothing to clean up.
    }
    throw new Error(`cannot write ${path}: ${(e as Error).message}`, { cause: e });
  }
}

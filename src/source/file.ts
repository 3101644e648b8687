// The input file as both readers first meet it: opened once, its size taken and its first bytes
// read (to detect the encoding and delimiter, or to tell a workbook from what only bears its name).
//
// The CSV reader opens its input exactly once (`openInput`) and samples its first bytes from the
// stream it keeps, so standard input (`-`), a FIFO and process substitution (`<(…)`) read like a
// file: a pipe cannot be opened a second time (its bytes are gone, or the open waits for a writer
// that never comes). Pipes are read through a non-blocking handle, so a stop (Ctrl-C, SIGTERM)
// ends a read that waits for data instead of hanging in a blocked system call.
import { closeSync, constants, createReadStream, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { Socket } from 'node:net';
import { isatty } from 'node:tty';
import { Readable } from 'node:stream';
import { SourceError } from './errors.js';

/** The input name that means standard input (`livedesk-import -`). */
export const STDIN = '-';
/** What the CLI passes for `-`: yargs drops a bare `-` argument, this path survives it. */
export const STDIN_PATH = '/dev/stdin';

export interface FileStart {
  /** The first bytes, at most the number asked for. */
  bytes: Buffer;
  /** The file's size in bytes when it was opened. */
  size: number;
  /** `bytes` is the whole file. */
  wholeFile: boolean;
}

function cannotRead(path: string, e: unknown): SourceError {
  const err = e as NodeJS.ErrnoException;
  const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.code === 'ENXIO' ? 'it is a socket, which cannot be opened as a file' : err.message;
  return new SourceError(`cannot read input file ${path}: ${why}`, { cause: e });
}

/** The first `maxBytes` of a regular file (fewer when it is shorter) and its size. Not for pipes: see openInput. */
export function readStart(path: string, maxBytes: number): FileStart {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw cannotRead(path, e);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new SourceError(`cannot read input file ${path}: it is a folder`);
    const buf = Buffer.alloc(maxBytes);
    let n = 0;
    // A slow disk may return less than asked: read until full or end of file.
    for (;;) {
      const got = readSync(fd, buf, n, maxBytes - n, null);
      if (got === 0) return { bytes: buf.subarray(0, n), size: stat.size, wholeFile: true };
      n += got;
      if (n === maxBytes) return { bytes: buf, size: stat.size, wholeFile: false };
    }
  } catch (e) {
    if (e instanceof SourceError) throw e;
    throw cannotRead(path, e);
  } finally {
    closeSync(fd);
  }
}

/**
 * The descriptor a path names without a second open: `-` and `/dev/stdin` are descriptor 0,
 * `/dev/fd/N` (bash's `<(…)`) and `/proc/self/fd/N` are N. Reopening those through the file
 * system fails for a socket (how Node and many supervisors connect a child's stdin) and, for a
 * file, starts again at its beginning.
 */
export function inheritedFd(path: string): number | undefined {
  if (path === STDIN || path === STDIN_PATH) return 0;
  const m = /^\/(?:dev|proc\/self)\/fd\/(\d{1,6})$/.exec(path);
  return m ? Number(m[1]) : undefined;
}

function statOf(path: string): Stats {
  const fd = inheritedFd(path);
  try {
    return fd === undefined ? statSync(path) : fstatSync(fd);
  } catch (e) {
    throw cannotRead(path === STDIN ? 'standard input' : path, e);
  }
}

/**
 * True when the input is read once, as a stream: standard input (even redirected from a file: it
 * is the descriptor that is read, from where it stands), an inherited descriptor, a FIFO, process
 * substitution, a device. Such an input cannot be read again, so a stopped run on it cannot be
 * resumed, and the output files cannot be named after it.
 */
export function isStreamInput(path: string): boolean {
  return inheritedFd(path) !== undefined || !statOf(path).isFile();
}

/** How messages name a stream input. */
export function streamInputName(path: string): string {
  return inheritedFd(path) === 0 ? 'standard input' : `${path} (a pipe)`;
}

/**
 * What a run on a stream input cannot do, checked with the options (exit 2 before anything is
 * read): be resumed (what it read is gone), or name its outputs after the input.
 */
export function checkStreamInput(path: string, o: { resume: boolean; results: unknown; failures: unknown; needsResults: boolean }): void {
  if (!isStreamInput(path)) return;
  const name = streamInputName(path);
  if (o.resume) {
    throw new SourceError(
      `--resume cannot finish a run that read ${name}: a pipe cannot be read a second time, so the rows the stopped run did not reach are gone. ` +
        'Send the whole input again with --force instead: contacts LiveDesk already has are found, not created twice (rows with no email, phone or identifier excepted)',
    );
  }
  const missing = [...(o.needsResults && o.results === undefined ? ['--results'] : []), ...(o.failures === undefined ? ['--failures'] : [])];
  if (missing.length > 0) {
    throw new SourceError(
      `reading ${name}, the output files cannot be named after the input: pass ${missing.map((f) => `${f} FILE`).join(' and ')} (e.g. ${missing.map((f) => `${f} nightly.${f.slice(2)}.csv`).join(' ')})`,
    );
  }
}

export interface OpenedInput {
  /** The first bytes (up to the sample size asked for; more may follow in `stream`). */
  sample: Buffer;
  /** The sample is the whole input. */
  wholeFile: boolean;
  /** The whole input from its first byte (the sample included), read once. */
  stream: Readable;
  /** A regular file's size; 0 for a stream, whose size is unknown. */
  size: number;
  /** A stream that cannot be read again (see isStreamInput). */
  pipe: boolean;
  /** Bytes taken from the input so far (the sample included). */
  bytesRead(): number;
  close(): void;
}

/** How long a pipe that has sent its first line may pause before the sample is taken as it is. */
const PIPE_SAMPLE_IDLE_MS = 250;

const hasLineBreak = (b: Buffer): boolean => b.indexOf(0x0a) !== -1 || b.indexOf(0x0d) !== -1;

/** Resolves 'idle' after `ms`, without keeping the process alive for it. */
function idle(ms: number): Promise<'idle'> {
  return new Promise((resolve) => setTimeout(resolve, ms, 'idle').unref());
}

/** How long a source waits for more input, and what ends the wait: a stop (Ctrl-C, SIGTERM). */
export interface InputOptions {
  /** Bytes per read from a regular file. @default 65536 */
  chunkBytes?: number;
  /** Aborting ends a wait for the first bytes with a SourceError. */
  signal?: AbortSignal;
}

/** Opens the input once; the sample is taken from the stream the reader then goes on with. */
export async function openInput(path: string, sampleBytes: number, opts: InputOptions = {}): Promise<OpenedInput> {
  const name = path === STDIN ? 'standard input' : path;
  const stat = statOf(path);
  if (stat.isDirectory()) throw new SourceError(`cannot read input file ${name}: it is a folder`);
  let fd = inheritedFd(path);
  if (fd !== undefined && isatty(fd)) {
    throw new SourceError(`${name} is a terminal: pipe the file in (e.g. curl … | livedesk-import - …) or name the file to import`);
  }
  const pipe = fd !== undefined || !stat.isFile();
  let raw: Readable;
  try {
    if (stat.isFIFO() || stat.isSocket()) {
      // Non-blocking: a FIFO without a writer does not hold the open, and a read waits in the
      // event loop (where a stop can end it), not in a thread that nothing can interrupt.
      fd ??= openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
      raw = new Socket({ fd, readable: true, writable: false });
    } else {
      fd ??= openSync(path, 'r');
      raw = createReadStream('', { fd, highWaterMark: opts.chunkBytes ?? 64 * 1024, autoClose: true });
    }
  } catch (e) {
    throw cannotRead(name, e);
  }
  let read = 0;
  const chunks = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const close = (): void => {
    raw.destroy();
  };
  const onAbort = (): void => close();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const head: Buffer[] = [];
  let ended = false;
  // A read asked for but not answered when sampling stopped: the reader takes it over.
  let waiting: Promise<IteratorResult<Buffer>> | undefined;
  const stopped = (cause?: unknown): SourceError => new SourceError(`stopped while waiting for ${name}: nothing was read or sent`, cause === undefined ? {} : { cause });
  try {
    while (read < sampleBytes) {
      if (opts.signal?.aborted) throw stopped();
      waiting = chunks.next();
      // A pipe that pauses after its first lines (a producer writing as it goes) is not waited
      // for until the sample is full: the header and a few rows are enough to start.
      const r = pipe && head.some(hasLineBreak) ? await Promise.race([waiting, idle(PIPE_SAMPLE_IDLE_MS)]) : await waiting;
      if (opts.signal?.aborted) throw stopped();
      if (r === 'idle') break;
      waiting = undefined;
      if (r.done) {
        ended = true;
        break;
      }
      const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
      head.push(chunk);
      read += chunk.length;
    }
  } catch (e) {
    close();
    if (e instanceof SourceError) throw e;
    if (opts.signal?.aborted) throw stopped(e);
    throw cannotRead(name, e);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  const all = head.length === 1 ? head[0]! : Buffer.concat(head);
  const sample = all.length > sampleBytes ? all.subarray(0, sampleBytes) : all;
  async function* rest(): AsyncGenerator<Buffer> {
    try {
      yield* head;
      if (ended) return;
      for (;;) {
        const r = await (waiting ?? chunks.next());
        waiting = undefined;
        if (r.done) return;
        const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
        read += chunk.length;
        yield chunk;
      }
    } finally {
      close();
    }
  }
  // Readable.from pulls the generator only as fast as the reader consumes: backpressure all the
  // way back to the file or the pipe's writer.
  const stream = Readable.from(rest(), { objectMode: false });
  return {
    sample,
    wholeFile: ended && all.length <= sampleBytes,
    stream,
    size: stat.isFile() ? stat.size : 0,
    pipe,
    bytesRead: () => read,
    close: () => {
      stream.destroy();
      close();
    },
  };
}

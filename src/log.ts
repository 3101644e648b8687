// Logging: pino JSON lines to --log-file for machines, short human lines on stderr for people.
// Nothing logged ever carries credentials: they live only inside the HTTP client, and the
// redact paths below are a second guard should a request object ever be logged.
import pino, { type Logger } from 'pino';
import { openAppend } from './sinks/private-file.js';
import type { LogLevel } from './options.js';

export type { Logger };

// pino's `*` spans one level, so each key is listed at every depth an object we log can reach.
const SECRET_KEYS = ['authorization', 'Authorization', 'apiKey', 'apiSecret', 'LIVEDESK_API_KEY', 'LIVEDESK_API_SECRET'];
const REDACT = { paths: SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`]), censor: '[redacted]' };

export interface LogSetup {
  level?: LogLevel;
  file?: string;
  /** Where human lines go (stderr in the CLI). */
  human: NodeJS.WritableStream;
  /** Marks every line of this run in the log file, which several runs share (it is appended to). */
  runId?: string;
}

/**
 * People read `WARN: message` lines, not JSON. A dozen lines instead of pino-pretty: it cost
 * 120 ms of start-up on every run for a format this simple.
 */
function humanLines(out: NodeJS.WritableStream): pino.DestinationStream {
  return {
    write(line: string): void {
      let entry: { level?: number; msg?: unknown };
      try {
        entry = JSON.parse(line) as { level?: number; msg?: unknown };
      } catch {
        out.write(line);
        return;
      }
      const label = (pino.levels.labels[entry.level ?? 30] ?? 'log').toUpperCase();
      out.write(`${label}: ${String(entry.msg ?? '')}\n`);
    },
  };
}

/**
 * The log file's lines. A write that fails (a full disk) is said once on stderr and the file is
 * written no more: the run goes on, since the journal and the output files are its record, and a
 * log call must never throw into the pipeline.
 */
function fileLines(path: string, fd: number, human: NodeJS.WritableStream): pino.DestinationStream {
  const dest = pino.destination({ dest: fd, sync: true });
  let broken = false;
  const fail = (e: Error): void => {
    if (broken) return;
    broken = true;
    human.write(`ERROR: cannot write the log file ${path} (${(e as NodeJS.ErrnoException).code ?? e.message}); nothing more is written to it, the import goes on\n`);
  };
  dest.on('error', fail);
  return {
    write(line: string): void {
      if (broken) return;
      try {
        dest.write(line);
      } catch (e) {
        fail(e as Error);
      }
    },
  };
}

export function createLogger(setup: LogSetup): Logger {
  if (setup.level === 'silent') return pino({ level: 'silent' });
  const humanLevel: pino.Level = setup.level ?? 'warn';
  const human = humanLines(setup.human);
  const streams: pino.StreamEntry[] = [{ level: humanLevel, stream: human }];
  if (setup.file) {
    // Appended to, never replaced: a resumed run's lines follow the stopped run's, and a nightly
    // job keeps its history. 0600 (a file logrotate made 0644 is made private) and never through a
    // link; synchronous: the log holds people's data, and must be complete when we exit.
    const fd = openAppend(setup.file, '--log-file', true);
    streams.push({ level: setup.level ?? 'info', stream: fileLines(setup.file, fd, setup.human) });
  }
  // pino filters by its own level before the streams do, so it must let the most verbose through.
  const minLevel = streams.reduce<string>(
    (min, s) => (pino.levels.values[s.level as string]! < pino.levels.values[min]! ? (s.level as string) : min),
    'fatal',
  );
  return pino({ level: minLevel, redact: REDACT, base: setup.runId === undefined ? undefined : { run: setup.runId } }, pino.multistream(streams));
}

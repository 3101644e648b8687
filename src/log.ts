// Logging: pino JSON lines to --log-file for machines, short human lines on stderr for people.
// Nothing logged ever carries credentials: they live only inside the HTTP client, and the
// redact paths below are a second guard should a request object ever be logged.
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import { openSync } from 'node:fs';
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
}

export function createLogger(setup: LogSetup): Logger {
  if (setup.level === 'silent') return pino({ level: 'silent' });
  const humanLevel: pino.Level = setup.level ?? 'warn';
  const human = pretty({
    destination: setup.human,
    sync: true,
    colorize: false,
    ignore: 'pid,hostname,time',
    hideObject: true,
    messageFormat: '{msg}',
  });
  const streams: pino.StreamEntry[] = [{ level: humanLevel, stream: human }];
  if (setup.file) {
    // 0600 and synchronous: the log holds people's data, and must be complete when we exit.
    const fd = openSync(setup.file, 'w', 0o600);
    streams.push({ level: setup.level ?? 'info', stream: pino.destination({ dest: fd, sync: true }) });
  }
  // pino filters by its own level before the streams do, so it must let the most verbose through.
  const minLevel = streams.reduce<string>(
    (min, s) => (pino.levels.values[s.level as string]! < pino.levels.values[min]! ? (s.level as string) : min),
    'fatal',
  );
  return pino({ level: minLevel, redact: REDACT, base: undefined }, pino.multistream(streams));
}

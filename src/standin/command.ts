// `livedesk-import standin`: runs the LiveDesk stand-in until SIGINT/SIGTERM.
import type { Argv, ArgumentsCamelCase, CommandModule } from 'yargs';
import { UsageError } from '../options.js';
import type { Standin, StandinOptions } from './server.js';

const DEFAULT_KEY = 'standin-key';
const DEFAULT_SECRET = 'standin-secret';
const RETRY_AFTER = ['none', 'seconds', 'date'] as const;

function rate(flag: string) {
  return (value: unknown): number => {
    const n = Number(value);
    if (typeof value === 'boolean' || !(n >= 0 && n <= 1)) {
      throw new UsageError(`${flag} must be a number from 0 to 1 (a share of creates), got "${String(value)}"`);
    }
    return n;
  };
}

function nonNegative(flag: string) {
  return (value: unknown): number => {
    const n = Number(value);
    if (typeof value === 'boolean' || !Number.isFinite(n) || n < 0) {
      throw new UsageError(`${flag} must be a number >= 0, got "${String(value)}"`);
    }
    return n;
  };
}

function port(value: unknown): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port must be 0..65535, got "${String(value)}"`);
  return n;
}

function seed(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new UsageError(`--seed must be an integer, got "${String(value)}"`);
  return n;
}

function inboxIds(values: unknown): string[] {
  const ids = (Array.isArray(values) ? values : [values]).map(String);
  const blank = ids.find((id) => id.trim() === '');
  if (ids.length === 0 || blank !== undefined) throw new UsageError('--inbox-id needs at least one non-empty ID');
  return ids;
}

function builder(yargs: Argv) {
  return yargs
    .option('port', { type: 'string', default: '4010', describe: 'Port to listen on (0 = any free port)', coerce: port })
    .option('host', { type: 'string', default: '127.0.0.1', describe: 'Address to listen on' })
    .option('inbox-id', { type: 'string', array: true, default: ['407'], describe: 'Inbox IDs that exist', coerce: inboxIds })
    .option('rate-limit', {
      type: 'number',
      default: 0,
      describe: 'Max API requests per second, 0 = unlimited',
      coerce: nonNegative('--rate-limit'),
    })
    .option('retry-after', {
      choices: RETRY_AFTER,
      default: 'none' as const,
      describe: 'Retry-After header on 429 (Chatwoot sends none)',
    })
    .option('error-rate', { type: 'number', default: 0, describe: 'Share of creates answered 500', coerce: rate('--error-rate') })
    .option('reset-before-rate', {
      type: 'number',
      default: 0,
      describe: 'Share of creates whose connection is reset before storing',
      coerce: rate('--reset-before-rate'),
    })
    .option('reset-after-rate', {
      type: 'number',
      default: 0,
      describe: 'Share of creates stored, then the connection reset',
      coerce: rate('--reset-after-rate'),
    })
    .option('hang-after-rate', {
      type: 'number',
      default: 0,
      describe: 'Share of creates stored, then never answered',
      coerce: rate('--hang-after-rate'),
    })
    .option('redirect-rate', {
      type: 'number',
      default: 0,
      describe: 'Share of creates answered 302 to another host (nothing stored)',
      coerce: rate('--redirect-rate'),
    })
    .option('bad-body-rate', {
      type: 'number',
      default: 0,
      describe: 'Share of creates stored, then answered 200 text/html',
      coerce: rate('--bad-body-rate'),
    })
    .option('no-id-rate', {
      type: 'number',
      default: 0,
      describe: 'Share of creates stored, then answered 200 JSON without a contact ID',
      coerce: rate('--no-id-rate'),
    })
    .option('huge-body-rate', {
      type: 'number',
      default: 0,
      describe: 'Share of creates stored, then answered 200 with a 10 MB body',
      coerce: rate('--huge-body-rate'),
    })
    .option('never-end-rate', {
      type: 'number',
      default: 0,
      describe: 'Share of creates stored, then answered 200 with a body that never ends',
      coerce: rate('--never-end-rate'),
    })
    .option('gone-on-update-rate', {
      type: 'number',
      default: 0,
      describe: 'Share of updates whose contact is deleted first (answered 404)',
      coerce: rate('--gone-on-update-rate'),
    })
    .option('echo-auth-rate', {
      type: 'number',
      default: 0,
      describe: 'Share of creates answered by a "debugging gateway" that echoes the credentials in its error body and headers (nothing stored)',
      coerce: rate('--echo-auth-rate'),
    })
    .option('echo-auth-status', {
      type: 'number',
      default: 400,
      describe: 'The status of those echoing answers (400-599: 4xx fails the row, 5xx is retried, 401 stops the run)',
      coerce: (value: unknown): number => {
        const n = Number(value);
        if (typeof value === 'boolean' || !Number.isInteger(n) || n < 400 || n > 599) throw new UsageError(`--echo-auth-status must be an HTTP status from 400 to 599, got "${String(value)}"`);
        return n;
      },
    })
    .option('latency', { type: 'number', default: 0, describe: 'Added delay (ms) before every API answer', coerce: nonNegative('--latency') })
    .option('latency-jitter', {
      type: 'number',
      default: 0,
      describe: 'Plus a random 0..N ms',
      coerce: nonNegative('--latency-jitter'),
    })
    .option('seed', { type: 'number', describe: 'Seed for repeatable fault draws', coerce: seed })
    .option('legacy-errors', { type: 'boolean', default: false, describe: '422 bodies with "message" only (older Chatwoot)' });
}

type StandinArgs = ReturnType<typeof builder> extends Argv<infer T> ? T : never;

/** Credentials come only from the environment so that they never show up in `ps` or shell history. */
export function standinCredentials(env: NodeJS.ProcessEnv): { apiKey: string; apiSecret: string; fromEnv: boolean } {
  const apiKey = env.LIVEDESK_API_KEY;
  const apiSecret = env.LIVEDESK_API_SECRET;
  if (apiKey && apiSecret) return { apiKey, apiSecret, fromEnv: true };
  if (apiKey || apiSecret) throw new UsageError('Set both LIVEDESK_API_KEY and LIVEDESK_API_SECRET, or neither');
  return { apiKey: DEFAULT_KEY, apiSecret: DEFAULT_SECRET, fromEnv: false };
}

function optionsFrom(argv: ArgumentsCamelCase<StandinArgs>, env: NodeJS.ProcessEnv): StandinOptions {
  const { apiKey, apiSecret } = standinCredentials(env);
  return {
    port: argv.port,
    host: argv.host,
    apiKey,
    apiSecret,
    inboxIds: argv.inboxId,
    rateLimit: argv.rateLimit,
    retryAfter: argv.retryAfter,
    seed: argv.seed,
    legacyErrors: argv.legacyErrors,
    faults: {
      errorRate: argv.errorRate,
      resetBeforeRate: argv.resetBeforeRate,
      resetAfterRate: argv.resetAfterRate,
      hangAfterRate: argv.hangAfterRate,
      redirectRate: argv.redirectRate,
      badBodyRate: argv.badBodyRate,
      noIdRate: argv.noIdRate,
      hugeBodyRate: argv.hugeBodyRate,
      neverEndRate: argv.neverEndRate,
      goneOnUpdateRate: argv.goneOnUpdateRate,
      echoAuthRate: argv.echoAuthRate,
      echoAuthStatus: argv.echoAuthStatus,
      latencyMs: argv.latency,
      latencyJitterMs: argv.latencyJitter,
    },
  };
}

/** What the command prints on start; the secret itself is never part of it. */
export function startupLines(standin: Standin, inboxIds: readonly string[], fromEnv: boolean): string[] {
  const credentials = fromEnv
    ? 'Credentials: LIVEDESK_API_KEY / LIVEDESK_API_SECRET from the environment.'
    : `LIVEDESK_API_KEY / LIVEDESK_API_SECRET not set: using the stand-in's public defaults ` +
      `LIVEDESK_API_KEY=${DEFAULT_KEY} LIVEDESK_API_SECRET=${DEFAULT_SECRET} (give the importer the same).`;
  return [
    `LiveDesk stand-in listening on ${standin.url} (inboxes: ${inboxIds.join(', ')})`,
    `Point the importer at it with --base-url ${standin.url} --inbox-id ${inboxIds[0] ?? ''}`,
    credentials,
    `Inspect it at ${standin.url}/_standin/contacts and ${standin.url}/_standin/stats; Ctrl-C stops it.`,
  ];
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export const standinCommand: CommandModule<object, StandinArgs> = {
  command: 'standin',
  describe: 'Run a local imitation of the LiveDesk contact API (for tests and trial runs)',
  builder,
  handler: async (argv) => {
    const options = optionsFrom(argv, process.env);
    // The server loads only when the stand-in runs, not on every import's start-up.
    const { startStandin } = await import('./server.js');
    let standin: Standin;
    try {
      standin = await startStandin(options);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new UsageError(`port ${options.port} on ${options.host} is already in use: pick another with --port (0 = any free port)`);
      if (code === 'EACCES') throw new UsageError(`not allowed to listen on port ${options.port}: pick a port above 1023 with --port (0 = any free port)`);
      if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UsageError(`cannot listen on --host ${options.host}: it is not an address of this machine`);
      throw e;
    }
    const { fromEnv } = standinCredentials(process.env);
    process.stdout.write(`${startupLines(standin, argv.inboxId, fromEnv).join('\n')}\n`);
    await untilSignal();
    await standin.close();
    process.exit(0);
  },
};

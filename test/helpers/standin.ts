// One stand-in per test file, reset before each test, plus a fresh folder for each test's files.
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startStandin, type Standin } from '../../src/standin/server.js';
import { KEY, SECRET, tempDir } from './cli.js';

export interface StandinFixture {
  readonly server: Standin;
  readonly dir: string;
  /** The arguments of a live run against this stand-in, fast enough for tests. */
  live(file: string, ...extra: string[]): string[];
}

export function useStandin(seed: number, dirPrefix = 'ldi-it-'): StandinFixture {
  let server: Standin | undefined;
  let dir = '';
  beforeAll(async () => {
    server = await startStandin({ port: 0, apiKey: KEY, apiSecret: SECRET, inboxIds: [407], seed });
  });
  afterAll(async () => {
    await server?.close();
  });
  beforeEach(() => {
    server!.reset();
    server!.setFaults({});
    server!.setRateLimit(0);
    dir = tempDir(dirPrefix);
  });
  return {
    get server() {
      return server!;
    },
    get dir() {
      return dir;
    },
    live: (file, ...extra) => [file, '--inbox-id', '407', '--base-url', server!.url, '--rate', '1000', ...extra],
  };
}

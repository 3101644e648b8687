// The import command's options as the CLI wires them (yargs from the table, job file, environment),
// in-process, with the run itself replaced: what reaches it is the Options object.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Options } from '../src/options.js';
import { OPTION_LIST } from '../src/options/table.js';
import { kebab } from '../src/options/spec.js';

const runMock = vi.hoisted(() => vi.fn(async (_opts: unknown, _io: unknown) => ({ exitCode: 0 })));
vi.mock('../src/run/run.js', () => ({ run: runMock }));
const { main } = await import('../src/cli.js');

const dir = mkdtempSync(join(tmpdir(), 'ldi-optcli-'));
const input = join(dir, 'contacts.csv');
writeFileSync(input, 'name,email\nAna,ana@example.com\n');
const CREDS = { LIVEDESK_API_KEY: 'k', LIVEDESK_API_SECRET: 's' };

async function cli(argv: string[], env: NodeJS.ProcessEnv = CREDS): Promise<{ code: number; stderr: string; opts: Options | undefined }> {
  runMock.mockClear();
  const stderr = new PassThrough();
  let text = '';
  stderr.on('data', (d: Buffer) => (text += d.toString()));
  const code = await main(argv, { stdout: new PassThrough(), stderr, env });
  return { code, stderr: text, opts: runMock.mock.calls[0]?.[0] as Options | undefined };
}

afterEach(() => vi.restoreAllMocks());

describe('the import command', () => {
  it.each([
    ['an unknown flag', ['--bogus'], /Unknown argument: bogus/],
    ['a negated boolean (negation is off)', ['--no-quiet'], /Unknown arguments?: no-quiet/],
    ['a number that is not one', ['--concurrency', 'lots'], /--concurrency must be a whole number from 1 to 256; got a value that is not a number/],
    ['a choice not offered (yargs refuses it first)', ['--on-existing', 'merge'], /on-existing/],
    ['--check-existing without --dry-run', ['--check-existing'], /--check-existing goes with --dry-run/],
    ['an http base URL off this machine', ['--base-url', 'http://livedesk.example.com'], /https/],
  ])('exit 2 for %s, before the run', async (_name, args, message) => {
    const run = await cli([input, '--inbox-id', '407', ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(runMock).not.toHaveBeenCalled();
  });

  it('hands the run one Options object: defaults, env, mode', async () => {
    const run = await cli([input, '--dry-run', '--check-existing'], { ...CREDS, LIVEDESK_INBOX_ID: '407', LIVEDESK_BASE_URL: 'http://127.0.0.1:9/' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.opts).toMatchObject({ file: input, inboxId: 407, baseUrl: 'http://127.0.0.1:9', mode: 'check', concurrency: 8, timeoutMs: 30000, apiKey: 'k' });
    expect(run.opts).not.toHaveProperty('dryRun');
  });

  it('accepts --threads and only warns', async () => {
    const run = await cli([input, '--dry-run', '--threads', '2']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.opts?.warnings).toEqual(['--threads is no longer used: rows are mapped on the main thread']);
    expect(run.opts).not.toHaveProperty('threads');
  });

  it('a job file: camelCase keys, `input`, {date}; flags win; secrets refused', async () => {
    const job = join(dir, 'job.yaml');
    writeFileSync(job, 'input: contacts.csv\ninboxId: 407\nrate: 20\nconcurrency: 4\nthreads: 1\nsummary: "s-{date}.json"\n');
    const run = await cli(['--config', job, '--rate', '5']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.opts).toMatchObject({ file: input, inboxId: 407, rate: 5, concurrency: 4, mode: 'import' });
    expect(run.opts?.summary).toMatch(/s-\d{4}-\d\d-\d\d\.json$/);
    expect(run.opts?.warnings).toContain('--threads is no longer used: rows are mapped on the main thread');
    writeFileSync(job, 'input: contacts.csv\napiSecret: hunter2\n');
    const secret = await cli(['--config', job]);
    expect(secret.code).toBe(2);
    expect(secret.stderr).toMatch(/secrets are never read from a job file/);
    expect(secret.stderr).not.toContain('hunter2');
  });

  it('--help lists every flag', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    await cli(['--help']);
    const help = log.mock.calls.map((c) => c.join(' ')).join('\n');
    for (const [key, spec] of OPTION_LIST) if (!spec.positional) expect(help).toContain(`--${kebab(key)}`);
    expect(help).toMatch(/--threads\s+deprecated, ignored/);
    expect(help).toContain('LIVEDESK_INBOX_ID and LIVEDESK_BASE_URL may stand in for --inbox-id and --base-url.');
    expect(runMock).not.toHaveBeenCalled();
  });
});

describe('the mapping command', () => {
  it('exit 2 for a file it cannot read (a SourceError is a UsageError)', async () => {
    const run = await cli(['mapping', join(dir, 'missing.csv')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/missing\.csv/);
  });
});

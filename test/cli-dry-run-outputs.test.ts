// A dry run's outputs at paths given on the command line (review findings 5 and 6): a dry run
// replaces its own earlier output there (it knows it by the marker it leaves beside it), keeps any
// other file aside under a dated name (never replaced, never lost), and never blocks a live run
// that writes the same path (the dry run's file is kept aside, and the run says where). An output
// that is the input is refused with the identity message, as in every mode. Each test spawns the CLI.
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, linkSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useStandin } from './helpers/standin.js';
import { BIN, CREDS, people, readCsv, runCli, tempDir, writeCsv, type CliRun } from './helpers/cli.js';

const HEADER = ['Full Name', 'Email', 'Phone', 'External ID'];
const ROWS = [HEADER, ...people(4), ['Bad', 'not-an-email', '', '']];
const t = useStandin(31, 'ldi-dryout-');

/** The CLI reading `text` from a pipe on its standard input. */
function runPiped(args: string[], text: string, env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const started = performance.now();
  const base = { ...process.env };
  for (const k of Object.keys(base)) if (k.startsWith('LIVEDESK_')) delete base[k];
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...base, XDG_STATE_HOME: tempDir('ldi-dryout-state-'), ...env }, stdio: ['pipe', 'pipe', 'pipe'], cwd: t.dir });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.on('error', () => undefined); // a refused run may close its input unread
  child.stdin.end(text);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
  });
}

const csvText = (rows: string[][]): string => rows.map((r) => r.join(',')).join('\n') + '\n';
/** Files in the test folder other than the input and hidden markers. */
const listed = (): string[] => readdirSync(t.dir).filter((f) => !f.startsWith('.') && f !== 'in.csv').sort();
const dated = (stem: string): RegExp => new RegExp(`^${stem}\\.(dry-run\\.)?\\d{4}-\\d\\d-\\d\\dT\\d{6}Z(-\\d+)?\\.csv$`);

describe('finding 5: a dry run with an explicit output path can be run again', () => {
  it('--dry-run --failures dd.csv twice: the second replaces the first, nothing refused, nothing piled up', async () => {
    writeCsv(t.dir, 'in.csv', ROWS);
    const first = await runCli(['in.csv', '--dry-run', '--failures', 'dd.csv'], {}, 60_000, t.dir);
    expect(first.code, first.stderr).toBe(1);
    const second = await runCli(['in.csv', '--dry-run', '--failures', 'dd.csv'], {}, 60_000, t.dir);
    expect(second.code, second.stderr).toBe(1);
    expect(second.stderr).not.toMatch(/already exists|not a dry run|--force|kept as/);
    expect(listed()).toEqual(['dd.csv']);
    expect(readCsv(join(t.dir, 'dd.csv')).rows.map((r) => r._error)).toEqual(['invalid_email']);
  });

  it('--dry-run --check-existing --results r.csv --failures f.csv twice: both files replaced', async () => {
    writeCsv(t.dir, 'in.csv', ROWS);
    for (let i = 0; i < 2; i++) {
      const run = await runCli([...t.live('in.csv'), '--dry-run', '--check-existing', '--results', 'r.csv', '--failures', 'f.csv'], CREDS, 60_000, t.dir);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).not.toMatch(/already exists|not a dry run|kept as/);
    }
    expect(listed()).toEqual(['f.csv', 'r.csv']);
    expect(readCsv(join(t.dir, 'r.csv')).rows.map((r) => r.outcome)).toEqual(['would_create', 'would_create', 'would_create', 'would_create']);
    expect(t.server.stats().creates).toBe(0);
  });

  it('a dry run of a pipe twice with --failures dd.csv: the second runs, and no advice it would then refuse', async () => {
    const text = csvText(ROWS);
    const first = await runPiped(['-', '--dry-run', '--no-state', '--failures', 'dd.csv'], text);
    expect(first.code, first.stderr).toBe(1);
    const second = await runPiped(['-', '--dry-run', '--no-state', '--failures', 'dd.csv'], text);
    expect(second.code, second.stderr).toBe(1);
    expect(second.stderr).not.toMatch(/already exists|not a dry run|leave out|--force/);
    expect(readdirSync(t.dir).filter((f) => !f.startsWith('.')).sort()).toEqual(['dd.csv']);
    expect(readCsv(join(t.dir, 'dd.csv')).rows).toHaveLength(1);
  });

  it('a dry run, then a live run with the same explicit paths: the live run goes ahead, the dry run\'s file kept aside and named', async () => {
    writeCsv(t.dir, 'in.csv', ROWS);
    const dry = await runCli(['in.csv', '--dry-run', '--failures', 'f.csv'], {}, 60_000, t.dir);
    expect(dry.code, dry.stderr).toBe(1);
    const dryFailures = readFileSync(join(t.dir, 'f.csv'));
    const live = await runCli([...t.live('in.csv'), '--results', 'r.csv', '--failures', 'f.csv'], CREDS, 60_000, t.dir);
    expect(live.code, live.stderr).toBe(1);
    expect(live.stderr).not.toMatch(/no journal says|--force/);
    const kept = listed().filter((f) => dated('f').test(f));
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatch(/^f\.dry-run\./);
    expect(live.stderr).toContain(kept[0]);
    expect(readFileSync(join(t.dir, kept[0]!)).equals(dryFailures)).toBe(true);
    expect(t.server.stats().creates).toBe(4);
    expect(readCsv(join(t.dir, 'f.csv')).rows.map((r) => r._error)).toEqual(['invalid_email']);
    expect(readCsv(join(t.dir, 'r.csv')).rows.map((r) => r.outcome)).toEqual(['created', 'created', 'created', 'created']);
  });

  it('a dry run of a pipe, then a live run of the pipe with the same --failures: not blocked', async () => {
    const text = csvText(ROWS);
    const dry = await runPiped(['-', '--dry-run', '--no-state', '--failures', 'f.csv'], text);
    expect(dry.code, dry.stderr).toBe(1);
    const live = await runPiped([...t.live('-'), '--results', 'r.csv', '--failures', 'f.csv'], text, CREDS);
    expect(live.code, live.stderr).toBe(1);
    expect(live.stderr).not.toMatch(/no journal says/);
    expect(readdirSync(t.dir).filter((f) => dated('f').test(f))).toHaveLength(1);
    expect(t.server.stats().creates).toBe(4);
  });
});

describe('a file a dry run did not write is never lost', () => {
  for (const force of [false, true]) {
    it(`a user's file at --failures${force ? ' with --force' : ''}: kept under a dated name, byte for byte, and the run says so`, async () => {
      writeCsv(t.dir, 'in.csv', ROWS);
      writeFileSync(join(t.dir, 'mine.csv'), 'my,own\nnotes,here\n');
      const run = await runCli(['in.csv', '--dry-run', '--failures', 'mine.csv', ...(force ? ['--force'] : [])], {}, 60_000, t.dir);
      expect(run.code, run.stderr).toBe(1);
      const kept = listed().filter((f) => dated('mine').test(f));
      expect(kept).toHaveLength(1);
      expect(kept[0]).not.toMatch(/dry-run/);
      expect(run.stderr).toMatch(new RegExp(`mine\\.csv was not written by a dry run.*kept as .*${kept[0]!.replace(/\./g, '\\.')}`));
      expect(readFileSync(join(t.dir, kept[0]!), 'utf8')).toBe('my,own\nnotes,here\n');
      expect(readCsv(join(t.dir, 'mine.csv')).header.slice(-3)).toEqual(['_row', '_error', '_message']);
    });
  }

  it('a dry run\'s file edited since (a line added by hand): no longer the dry run\'s, kept aside', async () => {
    writeCsv(t.dir, 'in.csv', ROWS);
    expect((await runCli(['in.csv', '--dry-run', '--failures', 'dd.csv'], {}, 60_000, t.dir)).code).toBe(1);
    appendFileSync(join(t.dir, 'dd.csv'), 'my note\n');
    const edited = readFileSync(join(t.dir, 'dd.csv'));
    const again = await runCli(['in.csv', '--dry-run', '--failures', 'dd.csv'], {}, 60_000, t.dir);
    expect(again.code, again.stderr).toBe(1);
    const kept = listed().filter((f) => dated('dd').test(f));
    expect(kept).toHaveLength(1);
    expect(readFileSync(join(t.dir, kept[0]!)).equals(edited)).toBe(true);
  });

  it('a live run still asks for --force before keeping aside a file no run wrote', async () => {
    writeCsv(t.dir, 'in.csv', ROWS);
    writeFileSync(join(t.dir, 'f.csv'), 'mine\n');
    const live = await runCli([...t.live('in.csv'), '--results', 'r.csv', '--failures', 'f.csv'], CREDS, 60_000, t.dir);
    expect(live.code, live.stderr).toBe(2);
    expect(live.stderr).toMatch(/f\.csv already exists, and no journal says a finished run wrote it/);
    expect(readFileSync(join(t.dir, 'f.csv'), 'utf8')).toBe('mine\n');
    expect(t.server.stats().requests).toBe(0);
  });
});

describe('finding 6: a dry run\'s output that is the input gets the identity message', () => {
  it('--dry-run --failures $PWD/in.csv: exit 2, "is the input file", no --force advice, input unchanged', async () => {
    const input = writeCsv(t.dir, 'in.csv', ROWS);
    const before = readFileSync(input);
    const run = await runCli(['in.csv', '--dry-run', '--failures', input], {}, 60_000, t.dir);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/--failures .*in\.csv is the input file in\.csv: it would be destroyed.*--force does not change this/);
    expect(run.stderr).not.toMatch(/add --force/);
    expect(readFileSync(input).equals(before)).toBe(true);
    expect(listed()).toEqual([]);
  });

  it('--dry-run --check-existing --results hard.csv (a hard link to the input): exit 2, identity message, nothing moved', async () => {
    const input = writeCsv(t.dir, 'in.csv', ROWS);
    const before = readFileSync(input);
    linkSync(input, join(t.dir, 'hard.csv'));
    const run = await runCli([...t.live('in.csv'), '--dry-run', '--check-existing', '--results', 'hard.csv'], CREDS, 60_000, t.dir);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/--results .*hard\.csv is the input file in\.csv \(another name of the same file\).*--force does not change this/);
    expect(run.stderr).not.toMatch(/add --force/);
    expect(readFileSync(input).equals(before)).toBe(true);
    expect(existsSync(join(t.dir, 'hard.csv'))).toBe(true);
    expect(listed()).toEqual(['hard.csv']);
    expect(t.server.stats().requests).toBe(0);
  });
});

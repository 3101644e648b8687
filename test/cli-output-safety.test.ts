// Output files (issue 14, findings 1, 4, 5 and 10): no output may be the input, whatever its path
// looks like; outputs are new private files, never written through a link; an output that cannot
// be written is refused before the first request, and one that fails mid-run stops the run
// cleanly with a journal --resume can finish. Each test runs the real CLI against the stand-in.
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useStandin } from './helpers/standin.js';
import { BIN, CREDS, people, readCsv, runCli, waitFor, writeCsv, type CliRun } from './helpers/cli.js';

const HEADER = ['Full Name', 'Email', 'Phone', 'External ID'];
const t = useStandin(14, 'ldi-outsafe-');
const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;
const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);

/**
 * The CLI with a wrapper the helpers do not offer: as another user (root cannot be refused a
 * write by permission bits), and with a file size limit (RLIMIT_FSIZE: a write past it fails with
 * EFBIG, as a full disk fails with ENOSPC, in whichever file reaches it first).
 */
function runCliAs(args: string[], opts: { uid?: number; maxFileBlocks?: number; cwd?: string; onStart?: () => void } = {}): Promise<CliRun> {
  const started = performance.now();
  const base = { ...process.env };
  for (const k of Object.keys(base)) if (k.startsWith('LIVEDESK_')) delete base[k];
  const limit = opts.maxFileBlocks === undefined ? '' : `trap '' XFSZ; ulimit -f ${opts.maxFileBlocks}; `;
  const child = spawn('/bin/sh', ['-c', `${limit}exec "$0" "$@"`, process.execPath, BIN, ...args], {
    env: { ...base, ...CREDS },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.uid === undefined ? {} : { uid: opts.uid, gid: opts.uid }),
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
  });
}

/** A folder another user can work in: the CLI runs as `nobody` when the tests run as root. */
function sharedDir(): { dir: string; uid?: number } {
  const dir = join(t.dir, 'shared');
  mkdirSync(dir);
  chmodSync(t.dir, 0o755);
  if (!asRoot) return { dir };
  chownSync(dir, NOBODY, NOBODY);
  return { dir, uid: NOBODY };
}

describe('finding 1: an output that is the input is refused, however its path is spelled, with --force too', () => {
  const spellings: Array<[string, (input: string) => string]> = [
    ['./d/in.csv', () => './d/in.csv'],
    ['an absolute path', (input) => input],
    ['d/../d/in.csv', () => 'd/../d/in.csv'],
    ['a hard link', (input) => {
      linkSync(input, join(t.dir, 'd', 'hard.csv'));
      return 'd/hard.csv';
    }],
    ['a symbolic link to the input', (input) => {
      symlinkSync(input, join(t.dir, 'd', 'soft.csv'));
      return 'd/soft.csv';
    }],
  ];
  for (const [name, spell] of spellings) {
    for (const force of [false, true]) {
      it(`--results as ${name}${force ? ' --force' : ''}: exit 2, input byte-identical, nothing sent`, async () => {
        mkdirSync(join(t.dir, 'd'));
        const input = writeCsv(join(t.dir, 'd'), 'in.csv', [HEADER, ...people(3)]);
        const before = readFileSync(input);
        const run = await runCli([...t.live(relative(t.dir, input)), '--results', spell(input), ...(force ? ['--force'] : [])], CREDS, 60_000, t.dir);
        expect(run.code, run.stderr).toBe(2);
        expect(run.stderr).toMatch(/--results .* is the input file .*: it would be destroyed/);
        expect(run.stderr.trim().split('\n')).toHaveLength(1);
        expect(readFileSync(input).equals(before)).toBe(true);
        expect(t.server.stats().requests).toBe(0);
        expect(readdirSync(join(t.dir, 'd')).filter((f) => f.includes('in.') && f !== 'in.csv')).toEqual([]);
      });
    }
  }

  it('every output is checked: --failures, --journal, --summary, --report and --log-file as the input', async () => {
    const input = writeCsv(t.dir, 'in.csv', [HEADER, ...people(3)]);
    const before = readFileSync(input);
    for (const flag of ['--failures', '--journal', '--summary', '--report', '--log-file']) {
      const run = await runCli([...t.live(input), flag, `${t.dir}/./in.csv`], CREDS);
      expect(run.code, `${flag}: ${run.stderr}`).toBe(2);
    }
    expect(readFileSync(input).equals(before)).toBe(true);
    expect(t.server.stats().requests).toBe(0);
  });

  it('--dry-run --failures ./in.csv --force is refused: the input is neither replaced nor read in a loop', async () => {
    const input = writeCsv(t.dir, 'in.csv', [HEADER, ...people(2000)]);
    const before = readFileSync(input);
    const run = await runCli(['in.csv', '--dry-run', '--failures', './in.csv', '--force'], {}, 60_000, t.dir);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/--failures .*in\.csv is the input file/);
    expect(readFileSync(input).equals(before)).toBe(true);
  });

  it('two outputs that are one file by different spellings are refused', async () => {
    const input = writeCsv(t.dir, 'in.csv', [HEADER, ...people(3)]);
    const run = await runCli([...t.live(input), '--results', join(t.dir, 'out.csv'), '--summary', `${t.dir}/./out.csv`], CREDS);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/--results .*out\.csv and --summary .*out\.csv are the same file/);
    expect(t.server.stats().requests).toBe(0);
  });
});

describe('finding 4: outputs are private whatever was there before', () => {
  it('0644 results, failures, journal, summary, report and log file + --force → every file written is 0600', async () => {
    const input = writeCsv(t.dir, 'in.csv', [HEADER, ...people(4), ['Bad', 'not-an-email', '', '']]);
    const names = ['in.results.csv', 'in.failures.csv', 'in.journal.jsonl', 's.json', 'r.html', 'l.log'];
    for (const n of names) {
      writeFileSync(join(t.dir, n), 'old\n');
      chmodSync(join(t.dir, n), 0o644);
    }
    const run = await runCli([...t.live(input), '--no-state', '--force', '--summary', join(t.dir, 's.json'), '--report', join(t.dir, 'r.html'), '--log-file', join(t.dir, 'l.log')], CREDS);
    expect(run.code, run.stderr).toBe(1);
    for (const n of names) expect(`${n} ${mode(join(t.dir, n))}`).toBe(`${n} 600`);
    // The log file is appended to (its history kept), the others are new.
    expect(readFileSync(join(t.dir, 'l.log'), 'utf8')).toMatch(/^old\n\{/);
    expect(readCsv(join(t.dir, 'in.results.csv')).rows).toHaveLength(4);
  });

  it.runIf(asRoot)("a log file of another user's that others can read is refused, not changed", async () => {
    const input = writeCsv(t.dir, 'in.csv', [HEADER, ...people(2)]);
    const log = join(t.dir, 'shared.log');
    writeFileSync(log, 'theirs\n');
    chmodSync(log, 0o644);
    chownSync(log, NOBODY, NOBODY);
    const run = await runCli([...t.live(input), '--log-file', log], CREDS);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/--log-file .*shared\.log has mode 0644 and belongs to another user/);
    expect(mode(log)).toBe('644');
    expect(readFileSync(log, 'utf8')).toBe('theirs\n');
    expect(t.server.stats().requests).toBe(0);
  });
});

describe('finding 5: no output is written through a symbolic link', () => {
  it('a dangling link at the failures path is refused (with --force too); its target is not created', async () => {
    const input = writeCsv(t.dir, 'in.csv', [HEADER, ...people(3)]);
    const target = join(t.dir, 'elsewhere', 'planted.csv');
    mkdirSync(join(t.dir, 'elsewhere'));
    symlinkSync(target, join(t.dir, 'in.failures.csv'));
    for (const extra of [[], ['--force'], ['--dry-run', '--failures', join(t.dir, 'in.failures.csv')]]) {
      const run = await runCli([...t.live(input), ...extra], CREDS);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(/--failures .*in\.failures\.csv is a symbolic link \(to .*planted\.csv\): refused/);
      expect(existsSync(target)).toBe(false);
    }
    expect(t.server.stats().requests).toBe(0);
  });

  it('a link to another file + --force: that file is untouched, for the results, the summary and the log file', async () => {
    const input = writeCsv(t.dir, 'in.csv', [HEADER, ...people(3)]);
    const precious = join(t.dir, 'precious.txt');
    writeFileSync(precious, 'do not touch\n');
    chmodSync(precious, 0o644);
    for (const [flag, at] of [['--results', join(t.dir, 'in.results.csv')], ['--summary', join(t.dir, 's.json')], ['--log-file', join(t.dir, 'l.log')]] as const) {
      symlinkSync(precious, at);
      const run = await runCli([...t.live(input), flag, at, '--force'], CREDS);
      expect(run.code, `${flag}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toMatch(/is a symbolic link .*refused/);
      expect(readFileSync(precious, 'utf8')).toBe('do not touch\n');
      expect(mode(precious)).toBe('644');
      unlinkSync(at);
    }
    expect(t.server.stats().requests).toBe(0);
  });
});

describe('finding 10: an output that cannot be written', () => {
  it('an unwritable --summary folder: exit 2 in one line, before any request', async () => {
    const { dir, uid } = sharedDir();
    const input = writeCsv(dir, 'in.csv', [HEADER, ...people(3)]);
    chmodSync(input, 0o644);
    mkdirSync(join(dir, 'ro'));
    chmodSync(join(dir, 'ro'), 0o555);
    const run = await runCliAs([...t.live(input), '--no-state', '--summary', join(dir, 'ro', 's.json')], { ...(uid === undefined ? {} : { uid }) });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr.trim()).toMatch(/^livedesk-import: --summary .*ro\/s\.json: cannot create files in the folder .*ro \(EACCES\)/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).not.toMatch(/ at /);
    expect(t.server.stats().requests).toBe(0);
    expect(existsSync(join(dir, 'in.results.csv'))).toBe(false);
  });

  it('the summary folder made read-only during the run: the summary is printed, the file named, exit 3', async () => {
    const { dir, uid } = sharedDir();
    const input = writeCsv(dir, 'in.csv', [HEADER, ...people(40)]);
    chmodSync(input, 0o644);
    mkdirSync(join(dir, 'out'));
    if (uid !== undefined) chownSync(join(dir, 'out'), uid, uid);
    t.server.setFaults({ latencyMs: 30 });
    const done = runCliAs([...t.live(input), '--no-state', '--concurrency', '1', '--summary', join(dir, 'out', 's.json')], { ...(uid === undefined ? {} : { uid }) });
    await waitFor(() => t.server.contacts().length >= 1);
    chmodSync(join(dir, 'out'), 0o555);
    const run = await done;
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/40 rows read: 40 created/);
    expect(run.stderr).toMatch(/livedesk-import: cannot write .*out\/s\.json: EACCES/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(readCsv(join(dir, 'in.results.csv')).rows).toHaveLength(40);
  });

  it('a log file that cannot be written further: said once on stderr, no stack trace, the import goes on', async () => {
    const input = writeCsv(t.dir, 'in.csv', [HEADER, ...people(20)]);
    const log = join(t.dir, 'run.log');
    // 10 bytes short of the size limit: the first line does not fit.
    writeFileSync(log, 'x'.repeat(200 * 512 - 10));
    const run = await runCliAs([...t.live(input), '--no-state', '--log-file', log, '--log-level', 'debug'], { maxFileBlocks: 200 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr.match(/cannot write the log file .*run\.log \(EFBIG\)/g)).toHaveLength(1);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(readCsv(join(t.dir, 'in.results.csv')).rows).toHaveLength(20);
  });

  it('a write error mid-run (file size limit): exit 3, summary on stderr; --resume finishes, each row once, files 0600', async () => {
    const input = writeCsv(t.dir, 'in.csv', [HEADER, ...people(1500)]);
    // 100 KiB: the journal (every line plus its sent marks) reaches it first, a few hundred rows in.
    const stopped = await runCliAs([...t.live(input), '--no-state'], { maxFileBlocks: 200 });
    expect(stopped.code, stopped.stderr).toBe(3);
    expect(stopped.stderr).toMatch(/cannot write the journal .*in\.journal\.jsonl: EFBIG/);
    expect(stopped.stderr).toMatch(/1?\d{3} rows read: \d+ created/);
    expect(stopped.stderr).toMatch(/--resume/);
    expect(stopped.stderr).not.toMatch(/\n\s+at /);
    const createdBefore = t.server.contacts().length;
    expect(createdBefore).toBeGreaterThan(100);
    expect(createdBefore).toBeLessThan(1500);

    // A link in the journal's place is refused, not followed, by --resume too.
    const journal = join(t.dir, 'in.journal.jsonl');
    renameSync(journal, join(t.dir, 'kept.jsonl'));
    symlinkSync(join(t.dir, 'kept.jsonl'), journal);
    const linked = await runCli([...t.live(input), '--no-state', '--resume'], CREDS);
    expect(linked.code, linked.stderr).toBe(2);
    expect(linked.stderr).toMatch(/--journal .*in\.journal\.jsonl is a symbolic link/);
    expect(t.server.contacts()).toHaveLength(createdBefore);
    unlinkSync(journal);
    renameSync(join(t.dir, 'kept.jsonl'), journal);

    // Loose modes on the stopped run's files are made private by the resume that appends to them.
    for (const f of ['in.results.csv', 'in.failures.csv', 'in.journal.jsonl']) chmodSync(join(t.dir, f), 0o644);
    const resumed = await runCli([...t.live(input), '--no-state', '--resume'], CREDS);
    expect(resumed.code, resumed.stderr).toBe(0);
    const results = readCsv(join(t.dir, 'in.results.csv')).rows;
    expect(results).toHaveLength(1500);
    expect(new Set(results.map((r) => r.row)).size).toBe(1500);
    const stored = t.server.contacts();
    expect(stored).toHaveLength(1500);
    expect(results.map((r) => r.contact_id).sort()).toEqual(stored.map((c) => String(c.id)).sort());
    for (const f of ['in.results.csv', 'in.failures.csv', 'in.journal.jsonl']) expect(`${f} ${mode(join(t.dir, f))}`).toBe(`${f} 600`);
  });
});

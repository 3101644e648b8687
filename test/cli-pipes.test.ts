// Issue 14, finding 8: nightly jobs read from a pipe (`curl … | livedesk-import - …`). Standard
// input (`-` and /dev/stdin), a FIFO and process substitution are read once, from the stream
// that is kept; a stop ends a read that waits for data; a run on a pipe says it cannot be resumed
// and why. The CLI is spawned with its standard input piped, or reading a mkfifo FIFO.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { openSync, writeFileSync, closeSync, writeSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useStandin } from './helpers/standin.js';
import { BIN, CREDS, people, readCsv, tempDir, waitFor, type CliRun } from './helpers/cli.js';

const t = useStandin(8, 'ldi-source-pipes-');
const HEADER = 'Full Name,Email,Phone,External ID';

function csv(n: number, start = 1): string {
  return [HEADER, ...people(n, start).map((r) => r.join(','))].join('\n') + '\n';
}

/** The CLI with its standard input piped (a socket pair, as Node and many supervisors give it). */
function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; stderr: () => string; done: Promise<CliRun> } {
  const base = { ...process.env };
  for (const k of Object.keys(base)) if (k.startsWith('LIVEDESK_')) delete base[k];
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...base, XDG_STATE_HOME: tempDir('ldi-source-pipes-state-'), ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin!.on('error', () => {}); // the CLI may exit before it reads all (a refused run)
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? -1 : null), stdout, stderr, ms: performance.now() - started }));
  });
  return { child, stderr: () => stderr, done };
}

function mkfifo(path: string): void {
  const r = spawnSync('mkfifo', [path]);
  if (r.status !== 0) throw new Error(`mkfifo failed: ${r.stderr}`);
}

describe('standard input', () => {
  it('`-` imports from a pipe: every row created, outputs where --results/--failures say', async () => {
    const results = join(t.dir, 'night.results.csv');
    const failures = join(t.dir, 'night.failures.csv');
    const cli = spawnCli([...t.live('-'), '--results', results, '--failures', failures], CREDS);
    // Written in pieces, as a download arrives.
    const text = csv(300);
    for (let i = 0; i < text.length; i += 4000) cli.child.stdin!.write(text.slice(i, i + 4000));
    cli.child.stdin!.end();
    const run = await cli.done;
    expect(run.code, run.stderr).toBe(0);
    expect(readCsv(results).rows).toHaveLength(300);
    expect(t.server.contacts()).toHaveLength(300);
    expect(run.stderr).toMatch(/300 created/);
  });

  it('`-` in a dry run needs --failures; a live run --results too (exit 2, nothing read)', async () => {
    const dry = spawnCli(['-', '--dry-run', '--no-state']);
    dry.child.stdin!.end(csv(3));
    const r1 = await dry.done;
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/reading standard input, the output files cannot be named after the input: pass --failures FILE/);
    const live = spawnCli([...t.live('-'), '--failures', join(t.dir, 'f.csv')], CREDS);
    live.child.stdin!.end(csv(3));
    const r2 = await live.done;
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/pass --results FILE \(/);
    expect(t.server.contacts()).toHaveLength(0);
  });

  it('--resume on standard input is refused with the reason', async () => {
    const cli = spawnCli([...t.live('-'), '--results', join(t.dir, 'r.csv'), '--failures', join(t.dir, 'f.csv'), '--resume'], CREDS);
    cli.child.stdin!.end(csv(3));
    const run = await cli.done;
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--resume cannot finish a run that read standard input: a pipe cannot be read a second time.*--force/);
  });

  it('/dev/stdin and process substitution <(…) read the same rows', async () => {
    const input = join(t.dir, 'in.csv');
    writeFileSync(input, csv(5));
    for (const [name, cmd] of [
      ['stdin', `node ${BIN} /dev/stdin --dry-run --no-state --failures ${t.dir}/f1.csv < ${input}`],
      ['procsub', `node ${BIN} <(cat ${input}) --dry-run --no-state --failures ${t.dir}/f2.csv`],
      ['pipe to /dev/stdin', `cat ${input} | node ${BIN} /dev/stdin --dry-run --no-state --failures ${t.dir}/f3.csv`],
    ] as const) {
      const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8', env: { ...process.env, XDG_STATE_HOME: tempDir('ldi-source-pipes-state-') } });
      expect(r.status, `${name}: ${r.stderr}`).toBe(0);
      expect(r.stderr, name).toMatch(/Dry run: 5 rows read, 5 valid/);
    }
  });

  it('a stop while the pipe is silent ends the run: summary, exit 143, and why it cannot be resumed', async () => {
    const results = join(t.dir, 'r.csv');
    const cli = spawnCli([...t.live('-'), '--results', results, '--failures', join(t.dir, 'f.csv')], CREDS);
    // 40 rows, then the writer stays silent (and keeps the pipe open): the last rows wait for
    // what follows them (a line end may be the first half of CRLF).
    cli.child.stdin!.write(csv(40));
    try {
      await waitFor(() => t.server.contacts().length >= 30);
    } finally {
      if (t.server.contacts().length < 30) console.error(cli.stderr());
    }
    cli.child.kill('SIGTERM');
    const run = await cli.done;
    expect(run.code, run.stderr).toBe(143);
    expect(run.stderr).toMatch(/Stopped early: SIGTERM received/);
    expect(run.stderr).toMatch(/This run read a pipe, which cannot be read again: it cannot be resumed\. To finish, send the whole input again with --force/);
    expect(run.stderr).not.toMatch(/--resume/);
    // What LiveDesk created is in the results file.
    expect(readCsv(results).rows.map((r) => r.contact_id).sort()).toEqual(t.server.contacts().map((c) => String(c.id)).sort());
    cli.child.stdin!.destroy();
  });

  it('a stop before the first byte ends the run at once (exit 143, nothing read or sent)', async () => {
    const cli = spawnCli([...t.live('-'), '--results', join(t.dir, 'r.csv'), '--failures', join(t.dir, 'f.csv')], CREDS);
    // Time to start and reach the read (the signal handlers are installed before it).
    await new Promise((r) => setTimeout(r, 2000));
    cli.child.kill('SIGTERM');
    const run = await cli.done;
    expect(run.code).toBe(143);
    expect(run.stderr).toMatch(/stopped while waiting for standard input: nothing was read or sent/);
    expect(existsSync(join(t.dir, 'r.csv'))).toBe(false);
    cli.child.stdin!.destroy();
  });
});

describe('a FIFO', () => {
  it('is opened once: the CLI waits for its writer, then imports every row', async () => {
    const fifo = join(t.dir, 'in.fifo');
    mkfifo(fifo);
    const results = join(t.dir, 'fifo.results.csv');
    const cli = spawnCli([...t.live(fifo), '--results', results, '--failures', join(t.dir, 'fifo.failures.csv')], CREDS);
    await new Promise((r) => setTimeout(r, 300));
    // The writer comes after the reader opened it (a blocking open here waits for the CLI's).
    const fd = openSync(fifo, 'w');
    writeSync(fd, csv(50));
    closeSync(fd);
    const run = await cli.done;
    expect(run.code, run.stderr).toBe(0);
    expect(readCsv(results).rows).toHaveLength(50);
  });

  it('without a writer, SIGTERM ends the wait (exit 143)', async () => {
    const fifo = join(t.dir, 'silent.fifo');
    mkfifo(fifo);
    const cli = spawnCli([fifo, '--dry-run', '--no-state', '--failures', join(t.dir, 'f.csv')]);
    await new Promise((r) => setTimeout(r, 2000));
    cli.child.kill('SIGTERM');
    const run = await cli.done;
    expect(run.code).toBe(143);
    expect(run.stderr).toMatch(/stopped while waiting for .*silent\.fifo \(a pipe\)|stopped while waiting for .*silent\.fifo/);
  });

  it('an .xlsx workbook from a pipe is refused with what to do', async () => {
    const fifo = join(t.dir, 'book.xlsx');
    mkfifo(fifo);
    const r1 = spawnCli([fifo, '--dry-run', '--no-state', '--failures', join(t.dir, 'f.csv')]);
    const run1 = await r1.done;
    expect(run1.code).toBe(2);
    expect(run1.stderr).toMatch(/cannot be read as an \.xlsx workbook: .*save it to a file and import that, or export the sheet as CSV/);
    // A workbook's bytes on standard input are recognized too.
    const r2 = spawnCli(['-', '--dry-run', '--no-state', '--failures', join(t.dir, 'f.csv')]);
    r2.child.stdin!.end(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'xlsx', 'contacts.xlsx')));
    const run2 = await r2.done;
    expect(run2.code).toBe(2);
    expect(run2.stderr).toMatch(/standard input is an \.xlsx workbook \(a zip archive\), which cannot be read from a pipe/);
  });
});

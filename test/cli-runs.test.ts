// Runs that follow one another (issue 12): dry run → import → the same command again → the next
// night → kill -9 and --resume (after midnight, from another folder) never collide, never lose
// or double a row, and refuse what they cannot do safely. One test per finding of the issue.
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useStandin } from './helpers/standin.js';
import { CREDS, people, readCsv, runCli, startCli, waitFor, writeCsv } from './helpers/cli.js';

const HEADER = ['Full Name', 'Email', 'Phone', 'External ID'];
const t = useStandin(12, 'ldi-runs-');
const json = (p: string): Record<string, any> => JSON.parse(readFileSync(p, 'utf8'));

/** Every row of the input once across the two files, and the results' IDs are exactly the stored contacts. */
function expectEachRowOnce(inputRows: number, results: string, failures: string): void {
  const r = readCsv(results).rows;
  const f = readCsv(failures).rows;
  const seen = [...r.map((x) => x.row), ...f.map((x) => x._row)];
  expect(new Set(seen).size).toBe(inputRows);
  expect(seen).toHaveLength(inputRows);
  const stored = t.server.contacts();
  expect(new Set(stored.map((c) => c.email)).size).toBe(stored.length);
  expect(r.map((x) => x.contact_id).sort()).toEqual(stored.map((c) => String(c.id)).sort());
}

describe('finding 1: a dry run never blocks an import, nor another dry run', () => {
  it('dry run → dry run with look-ups → import → dry run again: no --force anywhere', async () => {
    const input = writeCsv(t.dir, 'contacts.csv', [HEADER, ...people(8), ['Bad', 'nope', '', '']]);
    const dry = await runCli([input, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(1);
    expect(readCsv(join(t.dir, 'contacts.dry-run.failures.csv')).rows).toHaveLength(1);
    const check = await runCli([input, '--dry-run', '--check-existing', '--base-url', t.server.url], CREDS);
    expect(check.code, check.stderr).toBe(1);
    expect(readCsv(join(t.dir, 'contacts.dry-run.results.csv')).rows.map((r) => r.outcome)).toEqual(Array(8).fill('would_create'));
    const live = await runCli(t.live(input), CREDS);
    expect(live.code, live.stderr).toBe(1);
    expect(readCsv(join(t.dir, 'contacts.results.csv')).rows).toHaveLength(8);
    const again = await runCli([input, '--dry-run']);
    expect(again.code, again.stderr).toBe(1);
    expect(existsSync(join(t.dir, 'contacts.journal.jsonl'))).toBe(true);
  });
});

describe('finding 2: the next night on the same input path', () => {
  it('new dated outputs make a new run: its journal lives with its results, not beside the input', async () => {
    const input = writeCsv(t.dir, 'export.csv', [HEADER, ...people(5)]);
    const out = join(t.dir, 'out');
    mkdirSync(out);
    const night1 = await runCli([...t.live(input), '--results', join(out, '2026-12-01.csv'), '--failures', join(out, '2026-12-01.failures.csv')], CREDS);
    expect(night1.code, night1.stderr).toBe(0);
    expect(existsSync(join(out, '2026-12-01.journal.jsonl'))).toBe(true);
    writeCsv(t.dir, 'export.csv', [HEADER, ...people(7)]);
    const night2 = await runCli([...t.live(input), '--results', join(out, '2026-12-02.csv'), '--failures', join(out, '2026-12-02.failures.csv')], CREDS);
    expect(night2.code, night2.stderr).toBe(0);
    expect(readCsv(join(out, '2026-12-02.csv')).rows.map((r) => r.outcome).sort()).toEqual([...Array(2).fill('created'), ...Array(5).fill('existing')]);
    expect(readdirSync(t.dir).filter((f) => f.endsWith('.jsonl'))).toEqual([]);
  });
});

describe('finding 3: --resume after midnight, with {date} in the job file', () => {
  it('kill -9 on one day, the same command plus --resume on the next (TZ a day apart)', async () => {
    t.server.setFaults({ latencyMs: 20 });
    const input = writeCsv(t.dir, 'nightly.csv', [HEADER, ...people(200)]);
    const job = join(t.dir, 'job.yaml');
    writeFileSync(
      job,
      [`input: nightly.csv`, `inboxId: 407`, `baseUrl: ${t.server.url}`, `rate: 1000`, `concurrency: 4`, `results: out-{date}.csv`, `failures: out-{date}.failures.csv`, 'force: true'].join('\n'),
    );
    // UTC+14 and UTC−11 are 25 hours apart: never the same date.
    const first = startCli(['--config', job], { ...CREDS, TZ: 'Pacific/Kiritimati' });
    await waitFor(() => t.server.contacts().length >= 40);
    first.child.kill('SIGKILL');
    await first.done;
    const journals = readdirSync(t.dir).filter((f) => /^out-\d{4}-\d\d-\d\d\.journal\.jsonl$/.test(f));
    expect(journals).toHaveLength(1);
    t.server.setFaults({});
    const again = await runCli(['--config', job, '--resume'], { ...CREDS, TZ: 'Pacific/Pago_Pago' });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/Resuming: \d+ rows were finished/);
    const day = journals[0]!.slice(4, 14);
    expectEachRowOnce(200, join(t.dir, `out-${day}.csv`), join(t.dir, `out-${day}.failures.csv`));
    expect(t.server.contacts()).toHaveLength(200);
    void input;
  });
});

describe('finding 5: logs append, a resumed job reports the job', () => {
  it('the log keeps both runs (each line marked with its run), the summary counts the whole job', async () => {
    t.server.setFaults({ latencyMs: 15 });
    const rows = people(150).map((r, i) => (i % 30 === 29 ? [r[0]!, 'broken', r[2]!, r[3]!] : r));
    const input = writeCsv(t.dir, 'c.csv', [HEADER, ...rows]);
    const log = join(t.dir, 'run.log');
    const first = startCli([...t.live(input), '--concurrency', '4', '--log-file', log, '--log-level', 'info'], CREDS);
    await waitFor(() => t.server.contacts().length >= 40);
    first.child.kill('SIGKILL');
    await first.done;
    t.server.setFaults({});
    const again = await runCli([...t.live(input), '--resume', '--log-file', log, '--log-level', 'info', '--summary', join(t.dir, 's.json')], CREDS);
    expect(again.code, again.stderr).toBe(1);
    const runs = new Set(readFileSync(log, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { run?: string }).run));
    expect(runs.size).toBe(2);
    expect([...runs].every((r) => typeof r === 'string')).toBe(true);
    const s = json(join(t.dir, 's.json'));
    expect(s).toMatchObject({ rows: 150, failed: 5, invalid: 5, valid: 145, notSent: 0 });
    expect(s.created + s.existing).toBe(145);
    expect(s.valid + s.invalid + s.skipped).toBe(s.rows);
  });
});

describe('finding 10: a dry run and a live run never share a file', () => {
  it('a dry run pointed at a live run\'s failures file is refused while the live run holds it', async () => {
    t.server.setFaults({ latencyMs: 20 });
    const input = writeCsv(t.dir, 'c.csv', [HEADER, ...people(300)]);
    const live = startCli([...t.live(input), '--concurrency', '2'], CREDS);
    await waitFor(() => t.server.contacts().length >= 10);
    const dry = await runCli([input, '--dry-run', '--failures', join(t.dir, 'c.failures.csv'), '--force']);
    expect(dry.code).toBe(2);
    expect(dry.stderr).toMatch(/another livedesk-import run \(pid \d+/);
    // The default dry run writes files of its own, beside the live run's.
    const ownDry = await runCli([input, '--dry-run']);
    expect(ownDry.code, ownDry.stderr).toBe(0);
    t.server.setFaults({});
    const r = await live.done;
    expect(r.code, r.stderr).toBe(0);
    expectEachRowOnce(300, join(t.dir, 'c.results.csv'), join(t.dir, 'c.failures.csv'));
    expect(readFileSync(join(t.dir, 'c.failures.csv'), 'utf8')).not.toContain('\0');
  });
});

/** A live run killed part-way, with the input's digest already in its journal. */
async function killedRun(input: string, cwd?: string, args?: string[]): Promise<void> {
  t.server.setFaults({ latencyMs: 10 });
  const first = startCli(args ?? [...t.live(input), '--concurrency', '4'], CREDS, cwd);
  const journal = join(cwd ?? t.dir, 'c.journal.jsonl');
  await waitFor(() => t.server.contacts().length >= 60 && existsSync(journal) && readFileSync(journal, 'utf8').includes('{"i":'));
  first.child.kill('SIGKILL');
  await first.done;
  t.server.setFaults({});
}

describe('finding 11: --resume from another folder', () => {
  it('writes to the files the stopped run wrote, never to stray files where it is run', async () => {
    const input = writeCsv(t.dir, 'c.csv', [HEADER, ...people(400)]);
    await killedRun(input, t.dir, ['c.csv', '--inbox-id', '407', '--base-url', t.server.url, '--rate', '1000', '--concurrency', '4']);
    const elsewhere = join(t.dir, 'elsewhere');
    mkdirSync(elsewhere);
    const again = await runCli([input, '--inbox-id', '407', '--base-url', t.server.url, '--rate', '1000', '--results', join(t.dir, 'c.results.csv'), '--failures', join(t.dir, 'c.failures.csv'), '--resume'], CREDS, 120_000, elsewhere);
    expect(again.code, again.stderr).toBe(0);
    expect(readdirSync(elsewhere)).toEqual([]);
    expectEachRowOnce(400, join(t.dir, 'c.results.csv'), join(t.dir, 'c.failures.csv'));
  });
});

describe('finding 12: an output edited between the crash and --resume', () => {
  it('is refused with a clear message, and left as it is', async () => {
    const input = writeCsv(t.dir, 'c.csv', [HEADER, ...people(400)]);
    await killedRun(input);
    const results = join(t.dir, 'c.results.csv');
    const crlf = readFileSync(results, 'utf8').replace(/\n/g, '\r\n');
    writeFileSync(results, crlf);
    const again = await runCli([...t.live(input), '--resume'], CREDS);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/c\.results\.csv was changed since the run stopped: its line \d+ is not what the run wrote/);
    expect(readFileSync(results, 'utf8')).toBe(crlf);
  });
});

describe('finding 13: an input whose middle changed', () => {
  it('is refused on --resume (a digest of the whole file, not its head and tail)', async () => {
    // ~1.7 MB: the changed rows sit past the first MiB and before the last 64 KiB.
    const rows = people(12_000).map((r) => [r[0]!, r[1]!, r[2]!, r[3]!, 'x'.repeat(100)]);
    const input = writeCsv(t.dir, 'c.csv', [[...HEADER, 'Notes'], ...rows]);
    await killedRun(input);
    const text = readFileSync(input, 'utf8').split('\n');
    // Two rows of the same length swap places: same size, same head, same tail.
    const a = 9_000;
    const b = 9_010;
    [text[a], text[b]] = [text[b]!, text[a]!];
    expect(text[a]!.length).toBe(text[b]!.length);
    writeFileSync(input, text.join('\n'));
    const again = await runCli([...t.live(input), '--resume'], CREDS);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/the input file changed since the run stopped/);
  });
});

describe('finding 14: the run lock, taken by several runs released together', () => {
  it('one run gets the files, every other is refused with exit 2 (no crash), in each of 3 trials', async () => {
    t.server.setFaults({ latencyMs: 30 });
    const input = writeCsv(t.dir, 'c.csv', [HEADER, ...people(100)]);
    for (let trial = 0; trial < 3; trial++) {
      const runs = Array.from({ length: 6 }, () => startCli([...t.live(input), '--force', '--concurrency', '1'], CREDS));
      const done = await Promise.all(runs.map((r) => r.done));
      const codes = done.map((d) => d.code).sort();
      expect(codes.filter((c) => c === 2).length, done.map((d) => d.stderr).join('\n')).toBe(5);
      expect(codes.filter((c) => c === 0)).toHaveLength(1);
      for (const d of done.filter((x) => x.code === 2)) expect(d.stderr).toMatch(/another livedesk-import run|did not finish|already exist/);
    }
  });
});

describe('upgrading between a stop and its --resume', () => {
  it('a journal of the previous format (1) is resumed as it is: every row once, nobody created twice', async () => {
    const input = writeCsv(t.dir, 'c.csv', [HEADER, ...people(400)]);
    await killedRun(input);
    // Rewrite the journal as version 1 wrote it: flat source fields, paths as typed, no digest.
    const path = join(t.dir, 'c.journal.jsonl');
    const [head, ...entries] = readFileSync(path, 'utf8').split('\n');
    const h = JSON.parse(head!) as { v: number; identity: Record<string, any>; files: Record<string, { path: string }> };
    const { source, ...rest } = h.identity;
    h.v = 1;
    h.identity = { ...rest, delimiter: source.delimiter, encoding: source.encoding, sheet: null };
    h.files.results!.path = 'c.results.csv';
    h.files.failures!.path = 'c.failures.csv';
    writeFileSync(path, [JSON.stringify(h), ...entries.filter((e) => !e.startsWith('{"i":'))].join('\n'));
    const blocked = await runCli(t.live(input), CREDS);
    expect(blocked.code).toBe(2);
    expect(blocked.stderr).toMatch(/journal is from an earlier version/);
    // …and its results file had no `note` column yet: the resumed run keeps the file one shape.
    const results = join(t.dir, 'c.results.csv');
    const oldShape = readFileSync(results, 'utf8').replace(/,[^,\n]*\n/g, '\n');
    writeFileSync(results, oldShape);
    const lines = readFileSync(path, 'utf8').split('\n');
    const fixHead = JSON.parse(lines[0]!) as { files: { results: { header: string } } };
    fixHead.files.results.header = fixHead.files.results.header.replace(',note\n', '\n');
    lines[0] = JSON.stringify(fixHead);
    writeFileSync(path, lines.map((l) => (l.includes('"f":"results"') ? JSON.stringify({ ...JSON.parse(l), l: (JSON.parse(l) as { l: string }).l.replace(/,[^,\n]*\n$/, '\n') }) : l)).join('\n'));
    const again = await runCli([...t.live(input), '--resume'], CREDS);
    expect(again.code, again.stderr).toBe(0);
    expectEachRowOnce(400, results, join(t.dir, 'c.failures.csv'));
    expect(readCsv(results).header).toEqual(['row', 'outcome', 'contact_id', 'name', 'email', 'phone_number', 'identifier']);
    expect(t.server.contacts()).toHaveLength(400);
  });
});

describe('a resume stopped part-way through its own start (review of issue 12)', () => {
  /** An outage run (exit 3) whose failures a resume will retry: phone-only rows, so an ambiguous mark would fail them as unconfirmed. */
  async function outage(): Promise<{ input: string; args: string[] }> {
    const rows = people(60).map((r) => [r[0]!, '', r[2]!, '']);
    const input = writeCsv(t.dir, 'c.csv', [HEADER, ...rows]);
    const args = [...t.live(input), '--retries', '0', '--concurrency', '1', '--max-consecutive-failures', '5'];
    t.server.setFaults({ errorRate: 1 });
    const down = await runCli(args, CREDS);
    expect(down.code, down.stderr).toBe(3);
    t.server.setFaults({});
    return { input, args };
  }
  const journal = (): string => join(t.dir, 'c.journal.jsonl');
  /** Every phone-only row created once (none left unconfirmed), each in the results file once. */
  const expectPhonesOnce = (): void => {
    const results = readCsv(join(t.dir, 'c.results.csv')).rows;
    expect(readCsv(join(t.dir, 'c.failures.csv')).rows).toEqual([]);
    expect(new Set(results.map((r) => r.row)).size).toBe(60);
    expect(results).toHaveLength(60);
    const stored = t.server.contacts();
    expect(stored).toHaveLength(60);
    expect(new Set(stored.map((c) => c.phone_number)).size).toBe(60);
    expect(results.map((r) => r.contact_id).sort()).toEqual(stored.map((c) => String(c.id)).sort());
  };
  const failedRows = (): number[] =>
    readFileSync(journal(), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"k":"failed"'))
      .map((l) => (JSON.parse(l) as { r: number }).r);

  it('killed after writing its undo entries, before putting the new files in place: the next resume finishes', async () => {
    const { args } = await outage();
    appendFileSync(journal(), failedRows().map((r) => JSON.stringify({ u: r })).join('\n') + '\n');
    const again = await runCli([...args, '--resume'], CREDS);
    expect(again.code, again.stderr).toBe(0);
    expectPhonesOnce();
  });

  it('killed after putting the new files in place, before its undo entries: the next resume finishes', async () => {
    const { args } = await outage();
    writeFileSync(join(t.dir, 'c.failures.csv'), readFileSync(join(t.dir, 'c.failures.csv'), 'utf8').split('\n')[0] + '\n');
    const again = await runCli([...args, '--resume'], CREDS);
    expect(again.code, again.stderr).toBe(0);
    expectPhonesOnce();
  });

  it('a stopped run that never recorded the input digest gets it on resume', async () => {
    const input = writeCsv(t.dir, 'c.csv', [HEADER, ...people(400)]);
    await killedRun(input);
    writeFileSync(journal(), readFileSync(journal(), 'utf8').split('\n').filter((l) => !l.startsWith('{"i":')).join('\n'));
    t.server.setFaults({ latencyMs: 10 });
    const resumed = startCli([...t.live(input), '--resume', '--concurrency', '2'], CREDS);
    await waitFor(() => readFileSync(journal(), 'utf8').includes('{"i":'));
    resumed.child.kill('SIGKILL');
    await resumed.done;
    t.server.setFaults({});
  });

  it('--force gets past a journal whose header was cut (a crash while it was created), keeping it aside', async () => {
    const input = writeCsv(t.dir, 'c.csv', [HEADER, ...people(5)]);
    writeFileSync(journal(), '{"format":"livedesk-import jour');
    const blocked = await runCli(t.live(input), CREDS);
    expect(blocked.code).toBe(2);
    expect(blocked.stderr).toMatch(/cannot be read as a journal.*--force/);
    const forced = await runCli([...t.live(input), '--force'], CREDS);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readdirSync(t.dir).filter((f) => /^c\.journal\..+Z\.jsonl$/.test(f))).toHaveLength(1);
  });
});

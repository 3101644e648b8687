// Crash-safe runs (issue 4): kill -9 and Ctrl-C followed by --resume, refusals, contacts that
// already exist, look-ups in a dry run, the run lock, outages, and a server limit below --rate.
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useStandin } from './helpers/standin.js';
import { CREDS, people, readCsv, runCli, startCli, waitFor, writeCsv } from './helpers/cli.js';

const HEADER = ['Full Name', 'Email', 'Phone', 'External ID'];
const t = useStandin(11, 'ldi-resume-');
const summaryOf = (name = 's.json'): Record<string, any> => JSON.parse(readFileSync(join(t.dir, name), 'utf8'));

/** Makes a finished run's journal look like a stopped one's: its end entry gone. */
function unfinish(journal: string): void {
  const lines = readFileSync(journal, 'utf8').split('\n');
  expect(lines.at(-2)).toMatch(/^\{"e":/);
  writeFileSync(journal, lines.slice(0, -2).join('\n') + '\n');
}

/** 300 rows, every 25th invalid, so both output files have lines to lose. */
function mixedInput(): string {
  const rows = people(300).map((r, i) => ((i + 1) % 25 === 0 ? [r[0]!, 'broken-email', r[2]!, r[3]!] : r));
  return writeCsv(t.dir, 'c.csv', [HEADER, ...rows]);
}

/** The end state every interrupted-then-resumed run must reach. */
function expectCompleteOnce(input: string): void {
  const inputRows = readCsv(input).rows.length;
  const results = readCsv(join(t.dir, 'c.results.csv')).rows;
  const failures = readCsv(join(t.dir, 'c.failures.csv')).rows;
  const rowsSeen = [...results.map((r) => r.row), ...failures.map((r) => r._row)];
  expect(rowsSeen).toHaveLength(inputRows);
  expect(new Set(rowsSeen).size).toBe(inputRows);
  expect(failures.every((f) => f._error === 'invalid_email')).toBe(true);
  expect(failures).toHaveLength(12);
  const stored = t.server.contacts();
  expect(new Set(stored.map((c) => c.email)).size).toBe(stored.length);
  expect(stored).toHaveLength(288);
  expect(results.map((r) => r.contact_id).sort()).toEqual(stored.map((c) => String(c.id)).sort());
}

describe('--resume', () => {
  it('after kill -9, sends only what is left and ends as an uninterrupted run would', async () => {
    t.server.setFaults({ latencyMs: 15 });
    const input = mixedInput();
    const first = startCli([...t.live(input), '--concurrency', '8'], CREDS);
    await waitFor(() => t.server.contacts().length >= 80);
    first.child.kill('SIGKILL');
    await first.done;
    const storedBefore = t.server.contacts().length;
    expect(storedBefore).toBeLessThan(288);

    const again = await runCli([...t.live(input), '--resume', '--summary', join(t.dir, 's.json')], CREDS);
    expect(again.code, again.stderr).toBe(1); // the 12 invalid rows
    expect(again.stderr).toMatch(/Resuming: \d+ rows were finished/);
    expectCompleteOnce(input);
    const s = summaryOf();
    expect(s.rows).toBe(300);
    expect(s.created + s.existing).toBe(288);
    expect(s.failed).toBe(12);
    expect(s.created + s.existing + s.updated + s.failed + s.skipped + s.notSent).toBe(s.rows);
    expect(s.resumedRows).toBeGreaterThan(0);
  });

  it('after Ctrl-C: outputs complete so far, the resume command printed, exit 130; the resume finishes', async () => {
    t.server.setFaults({ latencyMs: 15 });
    const input = mixedInput();
    const first = startCli([input, '--inbox-id', '407', '--base-url', t.server.url, '--rate', '100'], CREDS);
    await waitFor(() => t.server.contacts().length >= 50);
    first.child.kill('SIGINT');
    const r1 = await first.done;
    expect(r1.code).toBe(130);
    expect(r1.stderr).toMatch(/To finish this run, send the rest with:\n\s+livedesk-import .*c\.csv.* --resume/);
    // Outputs are complete up to the stop: every stored contact is in the results file.
    const results = readCsv(join(t.dir, 'c.results.csv')).rows;
    expect(results.map((r) => r.contact_id).sort()).toEqual(t.server.contacts().map((c) => String(c.id)).sort());

    const again = await runCli([...t.live(input), '--resume'], CREDS);
    expect(again.code, again.stderr).toBe(1);
    expectCompleteOnce(input);
  });

  it('repairs a half-written output line and lines missing after a crash', async () => {
    const input = mixedInput();
    const first = await runCli([...t.live(input), '--max-consecutive-failures', '0'], CREDS);
    expect(first.code).toBe(1);
    // Simulate a crash between the journal and the files: the run never wrote its end entry,
    // the results file lost its last 5 lines and keeps half of the next one, and the journal
    // ends in half an entry.
    unfinish(join(t.dir, 'c.journal.jsonl'));
    const resultsPath = join(t.dir, 'c.results.csv');
    const lines = readFileSync(resultsPath, 'utf8').split('\n');
    writeFileSync(resultsPath, lines.slice(0, -6).join('\n') + '\n' + lines[lines.length - 6]!.slice(0, 12));
    appendFileSync(join(t.dir, 'c.journal.jsonl'), '{"r":9999,"k":"cre');
    const again = await runCli([...t.live(input), '--resume'], CREDS);
    expect(again.code, again.stderr).toBe(1);
    expect(again.stderr).toMatch(/5 output lines restored from the journal/);
    expectCompleteOnce(input);
  });

  it('refuses to resume a different job; an unfinished run blocks a new one without --force', async () => {
    const input = writeCsv(t.dir, 'c.csv', [HEADER, ...people(5)]);
    expect((await runCli(t.live(input), CREDS)).code).toBe(0);
    unfinish(join(t.dir, 'c.journal.jsonl'));
    const blocked = await runCli(t.live(input), CREDS);
    expect(blocked.code).toBe(2);
    expect(blocked.stderr).toMatch(/did not finish: 5 rows have an outcome, about 0 of the input's 5 rows were not sent\. Add --resume to finish it, or --force/);

    writeCsv(t.dir, 'c.csv', [HEADER, ...people(6)]);
    const changed = await runCli([...t.live(input), '--resume'], CREDS);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(/belongs to a different job: input was/);
    const otherInbox = await runCli([input, '--inbox-id', '408', '--base-url', t.server.url, '--resume'], CREDS);
    expect(otherInbox.code).toBe(2);

    const forced = await runCli([...t.live(input), '--force'], CREDS);
    expect(forced.code).toBe(0);
    expect(readCsv(join(t.dir, 'c.results.csv')).rows).toHaveLength(6);
  });

  it('a resume of a finished run sends nothing and says there is nothing to finish', async () => {
    const input = mixedInput();
    await runCli([...t.live(input), '--summary', join(t.dir, 'a.json')], CREDS);
    const requests = t.server.stats().requests;
    const again = await runCli([...t.live(input), '--resume', '--summary', join(t.dir, 'b.json')], CREDS);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/finished at .*; there is nothing to resume/);
    expect(t.server.stats().requests).toBe(requests);
    expectCompleteOnce(input);
  });

  it('the same command again: the finished run is kept under dated names, and the new run starts clean', async () => {
    const input = writeCsv(t.dir, 'c.csv', [HEADER, ...people(5)]);
    expect((await runCli(t.live(input), CREDS)).code).toBe(0);
    const again = await runCli(t.live(input), CREDS);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/The earlier run's files were kept:\n\s+\S+c\.results\.csv → \S+c\.results\.\d{4}-\d\d-\d\dT\d{6}Z\.csv/);
    const kept = readdirSync(t.dir).filter((f) => /^c\.(results|failures|journal)\.\d{4}-\d\d-\d\dT\d{6}Z\.(csv|jsonl)$/.test(f));
    expect(kept).toHaveLength(3);
    // Rerunning the same file: every contact is already in LiveDesk.
    expect(readCsv(join(t.dir, 'c.results.csv')).rows.map((r) => r.outcome)).toEqual(Array(5).fill('existing'));
  });
});

describe('contacts already in LiveDesk', () => {
  async function seed(): Promise<{ input: string; ids: Map<string, string> }> {
    const input = writeCsv(t.dir, 'c.csv', [HEADER, ...people(10)]);
    expect((await runCli(t.live(input), CREDS)).code).toBe(0);
    const ids = new Map(readCsv(join(t.dir, 'c.results.csv')).rows.map((r) => [r.row!, r.contact_id!]));
    return { input, ids };
  }

  it('--on-existing skip (default) records them as existing with their IDs', async () => {
    const { ids } = await seed();
    const input2 = writeCsv(t.dir, 'd.csv', [HEADER, ...people(12)]);
    const run = await runCli(t.live(input2), CREDS);
    expect(run.code).toBe(0);
    const rows = readCsv(join(t.dir, 'd.results.csv')).rows;
    expect(rows.filter((r) => r.outcome === 'existing').map((r) => r.contact_id).sort()).toEqual([...ids.values()].sort());
    expect(rows.filter((r) => r.outcome === 'created')).toHaveLength(2);
    expect(t.server.contacts()).toHaveLength(12);
  });

  it('--on-existing update sends the row to the update endpoint', async () => {
    await seed();
    const renamed = people(3).map((r) => [`${r[0]} Renamed`, r[1]!, r[2]!, r[3]!]);
    const input2 = writeCsv(t.dir, 'd.csv', [HEADER, ...renamed]);
    const run = await runCli([...t.live(input2), '--on-existing', 'update'], CREDS);
    expect(run.code, run.stderr).toBe(0);
    expect(readCsv(join(t.dir, 'd.results.csv')).rows.map((r) => r.outcome)).toEqual(['updated', 'updated', 'updated']);
    expect(t.server.contacts().filter((c) => c.name?.endsWith('Renamed'))).toHaveLength(3);
    expect(t.server.contacts()).toHaveLength(10);
  });

  it('--on-existing fail puts them in the failures file as already_exists', async () => {
    const { ids } = await seed();
    const input2 = writeCsv(t.dir, 'd.csv', [HEADER, ...people(2)]);
    const run = await runCli([...t.live(input2), '--on-existing', 'fail'], CREDS);
    expect(run.code).toBe(1);
    const f = readCsv(join(t.dir, 'd.failures.csv')).rows;
    expect(f.map((r) => r._error)).toEqual(['already_exists', 'already_exists']);
    // The two rows are in flight together: their lines are in the order their answers came.
    expect(f.find((r) => r._row === '1')!._message).toContain(`LiveDesk contact ${ids.get('1')}`);
  });

  it('--dry-run --check-existing looks rows up read-only and reports what would happen', async () => {
    const { ids } = await seed();
    const creates = t.server.stats().creates;
    const input2 = writeCsv(t.dir, 'd.csv', [HEADER, ...people(15), ['Bad', 'bad@', '', '']]);
    const run = await runCli([input2, '--dry-run', '--check-existing', '--base-url', t.server.url, '--rate', '1000', '--summary', join(t.dir, 's.json')], CREDS);
    expect(run.code).toBe(1);
    expect(t.server.stats().creates).toBe(creates);
    expect(summaryOf()).toMatchObject({ rows: 16, valid: 15, invalid: 1, existing: 10, wouldCreate: 5, created: 0, dryRun: true });
    const rows = readCsv(join(t.dir, 'd.dry-run.results.csv')).rows;
    expect(rows.filter((r) => r.outcome === 'existing').map((r) => r.contact_id).sort()).toEqual([...ids.values()].sort());
    expect(rows.filter((r) => r.outcome === 'would_create')).toHaveLength(5);
    expect(run.stderr).toMatch(/5 would be created, 10 already exist/);
  });
});

describe('staying safe under trouble', () => {
  it('refuses a second run on the same files while the first is alive; takes over a dead one\'s lock', async () => {
    const input = writeCsv(t.dir, 'c.csv', [HEADER, ...people(3)]);
    writeFileSync(join(t.dir, 'c.journal.jsonl.lock'), JSON.stringify({ pid: process.pid, host: (await import('node:os')).hostname(), since: 'now' }));
    writeFileSync(join(t.dir, 'c.failures.csv.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: (await import('node:os')).hostname(), since: 'then' }));
    const blocked = await runCli(t.live(input), CREDS);
    expect(blocked.code).toBe(2);
    expect(blocked.stderr).toMatch(/another livedesk-import run \(pid \d+/);
    writeFileSync(join(t.dir, 'c.journal.jsonl.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: (await import('node:os')).hostname(), since: 'then' }));
    const run = await runCli([...t.live(input), '--force'], CREDS);
    expect(run.code, run.stderr).toBe(0);
  });

  it('stops after --max-consecutive-failures outage failures instead of failing the whole file', async () => {
    t.server.setFaults({ errorRate: 1 });
    const input = writeCsv(t.dir, 'c.csv', [HEADER, ...people(60)]);
    const run = await runCli([...t.live(input), '--retries', '0', '--concurrency', '1', '--max-consecutive-failures', '5', '--summary', join(t.dir, 's.json')], CREDS);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/5 rows in a row failed with network or server errors/);
    const s = summaryOf();
    expect(s.failed).toBe(5);
    expect(s.created).toBe(0);
    t.server.setFaults({});
    // The server is back: the resume sends the rest and again the 5 rows the outage failed.
    const again = await runCli([...t.live(input), '--resume', '--summary', join(t.dir, 's2.json')], CREDS);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/and again the 5 rows that failed for a reason a retry can fix/);
    expect(summaryOf('s2.json')).toMatchObject({ rows: 60, created: 60, failed: 0, notSent: 0, valid: 60, invalid: 0 });
    expect(readCsv(join(t.dir, 'c.failures.csv')).rows).toHaveLength(0);
    expect(readCsv(join(t.dir, 'c.results.csv')).rows).toHaveLength(60);
    expect(t.server.contacts()).toHaveLength(60);
  });

  it('converges to a server limit below --rate without failing rows', async () => {
    t.server.setRateLimit(25);
    const input = writeCsv(t.dir, 'c.csv', [HEADER, ...people(120)]);
    const run = await runCli([input, '--inbox-id', '407', '--base-url', t.server.url, '--rate', '80', '--summary', join(t.dir, 's.json')], CREDS);
    expect(run.code, run.stderr).toBe(0);
    expect(t.server.contacts()).toHaveLength(120);
    const s = summaryOf();
    expect(s.failed).toBe(0);
    // Adaptive pacing keeps the 429s to a fraction of the requests.
    expect(t.server.stats().rateLimited).toBeLessThan(120);
  });

  it('hangs after storing and resets are settled as existing, never stored twice', async () => {
    t.server.setFaults({ hangAfterRate: 0.15, resetAfterRate: 0.15 });
    const input = writeCsv(t.dir, 'c.csv', [HEADER, ...people(60)]);
    const run = await runCli([...t.live(input), '--timeout', '400', '--retries', '8', '--summary', join(t.dir, 's.json')], CREDS);
    expect(run.code, run.stderr).toBe(0);
    const results = readCsv(join(t.dir, 'c.results.csv')).rows;
    expect(results).toHaveLength(60);
    expect(t.server.contacts()).toHaveLength(60);
    expect(results.map((r) => r.contact_id).sort()).toEqual(t.server.contacts().map((c) => String(c.id)).sort());
    expect(summaryOf().existing).toBeGreaterThan(0);
  });
});

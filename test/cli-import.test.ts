// The importer as a user runs it: the built CLI as a child process against the LiveDesk stand-in
// on a loopback port. Each test checks what a person would: exit code, output files, server state.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useStandin } from './helpers/standin.js';
import { CREDS, KEY, SECRET, people, readCsv, runCli, writeCsv } from './helpers/cli.js';

const HEADER = ['Full Name', 'Email', 'Phone', 'External ID'];
const t = useStandin(7, 'ldi-it-');

function idsOnServer(): string[] {
  return t.server.contacts().map((c) => String(c.id)).sort();
}

describe('import against the stand-in', () => {
  it('creates every row once and writes the server IDs to the results file', async () => {
    t.server.setFaults({ latencyMs: 15 });
    const input = writeCsv(t.dir, 'contacts.csv', [HEADER, ...people(60)]);
    const run = await runCli([...t.live(input), '--concurrency', '6', '--summary', join(t.dir, 's.json')], CREDS);
    expect(run.code, run.stderr).toBe(0);

    const results = readCsv(join(t.dir, 'contacts.results.csv'));
    expect(results.header).toEqual(['row', 'outcome', 'contact_id', 'name', 'email', 'phone_number', 'identifier', 'note']);
    expect(results.rows).toHaveLength(60);
    expect(results.rows.map((r) => r.contact_id).sort()).toEqual(idsOnServer());
    expect(new Set(results.rows.map((r) => r.row)).size).toBe(60);
    const r7 = results.rows.find((r) => r.row === '7')!;
    expect(r7).toMatchObject({ outcome: 'created', name: 'Person 7', email: 'person7@example.com', phone_number: '+14155550007', identifier: 'crm-7' });
    const stored = t.server.contacts().find((c) => String(c.id) === r7.contact_id)!;
    expect(stored).toMatchObject({ name: 'Person 7', email: 'person7@example.com', identifier: 'crm-7', inbox_id: '407' });

    expect(readCsv(join(t.dir, 'contacts.failures.csv')).rows).toHaveLength(0);
    expect(t.server.stats().maxInFlight).toBeLessThanOrEqual(6);
    expect(t.server.stats().maxInFlight).toBeGreaterThan(1);
    const summary = JSON.parse(readFileSync(join(t.dir, 's.json'), 'utf8'));
    expect(summary).toMatchObject({ rows: 60, created: 60, failed: 0, skipped: 0, notSent: 0, byError: {}, requests: 60, retries: 0, dryRun: false });
    expect(run.stderr).toMatch(/name\s+← "Full Name"/);
    expect(run.stderr).toMatch(/60 created/);
  });

  it('puts each bad row in the failures file with its own columns, a code and a message', async () => {
    t.server.reset();
    const input = join(t.dir, 'mixed.csv');
    writeFileSync(
      input,
      [
        'Full Name,Email,Phone,External ID,Notes',
        'Good One,good1@example.com,+14155550101,g1,fine',
        'Bad Mail,not-an-email,,g2,',
        'Bad Phone,,555-0100,g3,',
        ',,,,only notes',
        'Good Two,good2@example.com,,g4,"has, comma"',
        'Too,many,fields,here,x,y',
        'Dup Mail,GOOD1@example.com,,g5,',
        ',,,,',
      ].join('\n') + '\n',
    );
    const run = await runCli([...t.live(input), '--summary', join(t.dir, 's.json')], CREDS);
    expect(run.code, run.stderr).toBe(1);

    const failures = readCsv(join(t.dir, 'mixed.failures.csv'));
    expect(failures.header).toEqual(['Full Name', 'Email', 'Phone', 'External ID', 'Notes', '_row', '_error', '_message']);
    const byRow = Object.fromEntries(failures.rows.map((r) => [r._row, r]));
    expect(Object.keys(byRow).sort()).toEqual(['2', '3', '4', '6', '7']);
    expect(byRow['2']).toMatchObject({ _error: 'invalid_email', Email: 'not-an-email' });
    expect(byRow['3']).toMatchObject({ _error: 'invalid_phone', Phone: '555-0100' });
    expect(byRow['4']).toMatchObject({ _error: 'no_contact_data', Notes: 'only notes' });
    expect(byRow['6']).toMatchObject({ _error: 'malformed_row' });
    expect(byRow['6']!._message).toMatch(/line 7/);
    // Row 7's email is row 1's, in another case: caught in the file, before LiveDesk sees it.
    expect(byRow['7']).toMatchObject({ _error: 'duplicate_in_file', Email: 'GOOD1@example.com' });
    expect(byRow['7']!._message).toMatch(/row 1/);

    const results = readCsv(join(t.dir, 'mixed.results.csv'));
    expect(results.rows.map((r) => [r.row, r.outcome])).toEqual([
      ['1', 'created'],
      ['5', 'created'],
    ]);
    const summary = JSON.parse(readFileSync(join(t.dir, 's.json'), 'utf8'));
    expect(summary).toMatchObject({ rows: 8, created: 2, existing: 0, failed: 5, skipped: 1, notSent: 0 });
    expect(summary.byError).toEqual({ invalid_email: 1, invalid_phone: 1, no_contact_data: 1, malformed_row: 1, duplicate_in_file: 1 });
    expect(summary.created + summary.existing + summary.failed + summary.skipped + summary.notSent).toBe(summary.rows);

    // The person fixes the rows in the failures file and feeds it straight back in.
    const fixed = readFileSync(join(t.dir, 'mixed.failures.csv'), 'utf8')
      .replace('not-an-email', 'bad.mail@example.com')
      .replace('555-0100', '+14155550100');
    writeFileSync(join(t.dir, 'retry.csv'), fixed);
    const again = await runCli(t.live(join(t.dir, 'retry.csv')), CREDS);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/ignored: .*"_row"/);
    const retried = readCsv(join(t.dir, 'retry.results.csv'));
    expect(retried.rows.map((r) => r.email).filter(Boolean).sort()).toEqual(['bad.mail@example.com']);
    expect(retried.rows.map((r) => r.phone_number).filter(Boolean)).toEqual(['+14155550100']);
    const stillFailing = readCsv(join(t.dir, 'retry.failures.csv'));
    expect(stillFailing.header.filter((h) => h.startsWith('_'))).toEqual(['_row', '_error', '_message']);
    // The duplicate row is now alone in its file. LiveDesk has its email, but under row 1's
    // identifier (g1, not g5): not this row's contact (keys that agree), so never recorded as it.
    const dup = stillFailing.rows.find((r) => r.Email === 'GOOD1@example.com')!;
    expect(dup).toMatchObject({ _error: 'key_conflict' });
    expect(dup._message).toContain("has this row's email (good1@example.com) but a different identifier");
  });

  it("takes off the formula guard (') when a failures file is fed back in", async () => {
    const input = join(t.dir, 'back.csv');
    writeFileSync(input, "name,email,_row,_error,_message\nMinus,'-minus@example.com,4,rejected,x\n");
    const run = await runCli(t.live(input), CREDS);
    expect(run.code, run.stderr).toBe(0);
    expect(t.server.contacts().map((c) => c.email)).toEqual(['-minus@example.com']);
    // And it is guarded again on the way out.
    expect(readCsv(join(t.dir, 'back.results.csv')).rows[0]!.email).toBe("'-minus@example.com");
  });

  it('a dry run sends nothing, needs no credentials, and writes the same failures as a live run', async () => {
    const input = writeCsv(t.dir, 'c.csv', [
      HEADER,
      ...people(5),
      ['Bad', 'bad@', '', 'x1'],
      ['', '', '+0123', ''],
      ['', '', '', ''],
    ]);
    const dry = await runCli([input, '--dry-run', '--failures', join(t.dir, 'dry.failures.csv'), '--summary', join(t.dir, 'dry.json'), '--report', join(t.dir, 'dry.html')]);
    expect(dry.code, dry.stderr).toBe(1);
    expect(t.server.stats().requests).toBe(0);
    expect(existsSync(join(t.dir, 'c.results.csv'))).toBe(false);
    expect(JSON.parse(readFileSync(join(t.dir, 'dry.json'), 'utf8'))).toMatchObject({ rows: 8, valid: 5, invalid: 2, failed: 2, skipped: 1, dryRun: true, requests: 0 });
    // The terminal report: each reason with example rows, and the duplicate count.
    expect(dry.stderr).toMatch(/invalid_email: 1\n\s+row 6: email "bad@" is not a valid address/);
    expect(dry.stderr).toMatch(/No duplicates in the file/);
    const html = readFileSync(join(t.dir, 'dry.html'), 'utf8');
    expect(html).toContain('class="bad"');
    expect(html).toContain('bad@');

    const wet = await runCli(t.live(input), CREDS);
    expect(wet.code).toBe(1);
    expect(readFileSync(join(t.dir, 'dry.failures.csv'), 'utf8')).toBe(readFileSync(join(t.dir, 'c.failures.csv'), 'utf8'));

    const clean = writeCsv(t.dir, 'clean.csv', [HEADER, ...people(3)]);
    expect((await runCli([clean, '--dry-run'])).code).toBe(0);
  });

  it('stops at once on wrong credentials: exit 3, at most --concurrency requests, rows counted as not sent', async () => {
    const input = writeCsv(t.dir, 'c.csv', [HEADER, ...people(200)]);
    const run = await runCli([...t.live(input), '--concurrency', '4', '--summary', join(t.dir, 's.json')], {
      LIVEDESK_API_KEY: 'wrong',
      LIVEDESK_API_SECRET: 'wrong',
    });
    expect(run.code).toBe(3);
    expect(run.ms).toBeLessThan(5000);
    expect(t.server.stats().requests).toBeLessThanOrEqual(4);
    expect(run.stderr).toMatch(/LIVEDESK_API_KEY/);
    const s = JSON.parse(readFileSync(join(t.dir, 's.json'), 'utf8'));
    expect(s).toMatchObject({ aborted: true, created: 0, failed: 0 });
    expect(s.notSent).toBe(s.rows);
    expect(readCsv(join(t.dir, 'c.results.csv')).rows).toHaveLength(0);
    expect(readCsv(join(t.dir, 'c.failures.csv')).rows).toHaveLength(0);
  });

  it('stops on an unknown inbox with exit 3 and says to check --inbox-id', async () => {
    const input = writeCsv(t.dir, 'c.csv', [HEADER, ...people(20)]);
    const run = await runCli([input, '--inbox-id', '999', '--base-url', t.server.url], CREDS);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/inbox 999 was not found/);
    expect(t.server.contacts()).toHaveLength(0);
  });

  it('retries 5xx and resets, and never stores a contact twice', async () => {
    t.server.setFaults({ errorRate: 0.2, resetBeforeRate: 0.1, resetAfterRate: 0.1 });
    const input = writeCsv(t.dir, 'c.csv', [HEADER, ...people(120)]);
    const run = await runCli([...t.live(input), '--retries', '10', '--summary', join(t.dir, 's.json')], CREDS);
    expect(run.code, run.stderr).toBe(0);
    const results = readCsv(join(t.dir, 'c.results.csv'));
    expect(results.rows).toHaveLength(120);
    expect(results.rows.map((r) => r.contact_id).sort()).toEqual(idsOnServer());
    expect(t.server.contacts()).toHaveLength(120);
    const s = JSON.parse(readFileSync(join(t.dir, 's.json'), 'utf8'));
    expect(s.retries).toBeGreaterThan(0);
    expect(s.created + s.existing).toBe(120);
    expect(s.existing).toBeGreaterThan(0);
    expect(results.rows.filter((r) => r.outcome === 'existing')).toHaveLength(s.existing);
  });

  it('does not resend a name-only row after an ambiguous failure', async () => {
    t.server.setFaults({ resetAfterRate: 1 });
    // A phone is no protection either: LiveDesk has no unique index on it.
    const input = writeCsv(t.dir, 'c.csv', [['name', 'phone'], ['Only A Name', ''], ['Phone Only', '+14155550188']]);
    const run = await runCli([...t.live(input), '--concurrency', '1'], CREDS);
    expect(run.code).toBe(1);
    const f = readCsv(join(t.dir, 'c.failures.csv')).rows;
    expect(f).toMatchObject([
      { name: 'Only A Name', _error: 'unconfirmed' },
      { name: 'Phone Only', _error: 'unconfirmed' },
    ]);
    expect(f[0]!._message).toMatch(/check LiveDesk/);
    expect(t.server.contacts()).toHaveLength(2);
    expect(t.server.stats().creates).toBe(2);
  });

  it('honours 429 and Retry-After and ends with every row created', async () => {
    t.server.setRateLimit(20);
    const input = writeCsv(t.dir, 'c.csv', [HEADER, ...people(40)]);
    const run = await runCli([input, '--inbox-id', '407', '--base-url', t.server.url, '--rate', '40', '--summary', join(t.dir, 's.json')], CREDS);
    expect(run.code, run.stderr).toBe(0);
    expect(readCsv(join(t.dir, 'c.results.csv')).rows).toHaveLength(40);
    expect(t.server.contacts()).toHaveLength(40);
  });

  it('gives up after --retries and fails the row with the last reason', async () => {
    t.server.setFaults({ errorRate: 1 });
    const input = writeCsv(t.dir, 'c.csv', [HEADER, ...people(2)]);
    const run = await runCli([...t.live(input), '--retries', '1'], CREDS);
    expect(run.code).toBe(1);
    const f = readCsv(join(t.dir, 'c.failures.csv')).rows;
    expect(f.map((r) => r._error)).toEqual(['server_error', 'server_error']);
    expect(f[0]!._message).toMatch(/gave up after 2 attempts/);
  });

  it('fails a timed-out row as timeout after its retries', async () => {
    t.server.setFaults({ latencyMs: 2000 });
    const input = writeCsv(t.dir, 'c.csv', [['name', 'email'], ['Slow', 'slow@example.com']]);
    const run = await runCli([...t.live(input), '--timeout', '200', '--retries', '1'], CREDS);
    expect(run.code).toBe(1);
    expect(readCsv(join(t.dir, 'c.failures.csv')).rows[0]).toMatchObject({ _error: 'timeout' });
  });
});

describe('usage errors stop before anything is sent (exit 2)', () => {
  const cases: Array<[string, string[], NodeJS.ProcessEnv, RegExp]> = [
    ['an unknown flag', ['--inbox-id', '407', '--bogus'], CREDS, /Unknown argument: bogus/],
    ['no inbox', [], CREDS, /--inbox-id is required/],
    ['no credentials', ['--inbox-id', '407'], {}, /LIVEDESK_API_KEY and LIVEDESK_API_SECRET must be set/],
    ['a bad number', ['--inbox-id', '407', '--concurrency', 'lots'], CREDS, /--concurrency/],
  ];
  it.each(cases)('%s', async (_name, args, env, message) => {
    const input = writeCsv(t.dir, 'c.csv', [HEADER, ...people(3)]);
    const run = await runCli([input, '--base-url', t.server.url, ...args], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(t.server.stats().requests).toBe(0);
  });

  it('a file with no recognizable column', async () => {
    const input = writeCsv(t.dir, 'c.csv', [['foo', 'bar'], ['1', '2']]);
    const run = await runCli([input, '--dry-run']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no column .* could be matched.*"foo", "bar"/s);
  });

  it('prints help with examples', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/--inbox-id/);
    expect(run.stdout).toMatch(/Examples:/);
  });
});

describe('credentials never leak', () => {
  it('no byte the tool writes, in any mode, carries the key, the secret or their base64 form; outputs are 0600', async () => {
    const input = writeCsv(t.dir, 'c.csv', [HEADER, ...people(8), ['Bad', 'bad@', '', '']]);
    const out = (name: string): string => join(t.dir, name);
    const runs = [];
    // A full import with debug logs, and every output file.
    runs.push(await runCli([...t.live(input), '--log-file', out('run.log'), '--log-level', 'debug', '--summary', out('s.json'), '--report', out('r.html')], CREDS));
    // Crashed requests: resets before and after storing, and a 5xx, with retries logged.
    t.server.setFaults({ resetBeforeRate: 0.3, resetAfterRate: 0.3, errorRate: 0.2 });
    const input2 = writeCsv(t.dir, 'd.csv', [HEADER, ...people(8, 100)]);
    runs.push(await runCli([...t.live(input2), '--log-file', out('crash.log'), '--log-level', 'trace', '--retries', '8'], CREDS));
    t.server.setFaults({});
    // Refused credentials.
    runs.push(await runCli([...t.live(input), '--log-file', out('wrong.log'), '--log-level', 'trace', '--results', out('w.results.csv'), '--failures', out('w.failures.csv'), '--journal', out('w.journal.jsonl')], { LIVEDESK_API_KEY: KEY, LIVEDESK_API_SECRET: 'nope' }));
    // A dry run that looks rows up, with the credentials in a file.
    const credFile = out('creds.env');
    writeFileSync(credFile, `LIVEDESK_API_KEY=${KEY}\nLIVEDESK_API_SECRET=${SECRET}\n`, { mode: 0o600 });
    runs.push(await runCli([input, '--dry-run', '--check-existing', '--base-url', t.server.url, '--credentials-file', credFile, '--failures', out('dry.failures.csv'), '--results', out('dry.results.csv'), '--log-file', out('dry.log'), '--log-level', 'trace'], {}));
    expect(runs.map((r) => r.code)).toEqual([1, 0, 3, 1]);

    const written = ['run.log', 'crash.log', 'wrong.log', 'dry.log', 's.json', 'r.html', 'c.results.csv', 'c.failures.csv', 'c.journal.jsonl', 'd.results.csv', 'd.failures.csv', 'd.journal.jsonl', 'w.results.csv', 'w.failures.csv', 'w.journal.jsonl', 'dry.results.csv', 'dry.failures.csv'];
    const texts = [...runs.flatMap((r) => [r.stdout, r.stderr]), ...written.map((f) => readFileSync(out(f), 'utf8'))];
    const basic = Buffer.from(`${KEY}:${SECRET}`).toString('base64');
    for (const t of texts) {
      expect(t).not.toContain(KEY);
      expect(t).not.toContain(SECRET);
      expect(t).not.toContain(basic);
    }
    expect(readFileSync(out('run.log'), 'utf8')).toMatch(/"error":"invalid_email"/);
    for (const f of written) expect(statSync(out(f)).mode & 0o777, f).toBe(0o600);
  });

  it('refuses a credentials file others can read, and an http base URL off this machine', async () => {
    const input = writeCsv(t.dir, 'c.csv', [HEADER, ...people(2)]);
    const credFile = join(t.dir, 'open.env');
    writeFileSync(credFile, `LIVEDESK_API_KEY=${KEY}\nLIVEDESK_API_SECRET=${SECRET}\n`, { mode: 0o644 });
    const open = await runCli([...t.live(input), '--credentials-file', credFile], {});
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(/chmod 600/);
    const http = await runCli([input, '--inbox-id', '407', '--base-url', 'http://livedesk.example.com'], CREDS);
    expect(http.code).toBe(2);
    expect(http.stderr).toMatch(/https/);
    expect(t.server.stats().requests).toBe(0);
  });
});

describe('job files (--config)', () => {
  it('runs a job defined in a file; flags override it; no secret in the file', async () => {
    const input = writeCsv(t.dir, 'contacts.csv', [HEADER, ...people(4)]);
    const job = join(t.dir, 'nightly.yaml');
    writeFileSync(job, `input: contacts.csv\ninboxId: 407\nbaseUrl: ${t.server.url}\nrate: 1000\nresults: out-{date}.results.csv\nsummary: out-{date}.json\n`);
    const run = await runCli(['--config', job, '--concurrency', '2'], CREDS);
    expect(run.code, run.stderr).toBe(0);
    const d = new Date();
    const date = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    expect(readCsv(join(t.dir, `out-${date}.results.csv`)).rows).toHaveLength(4);
    expect(JSON.parse(readFileSync(join(t.dir, `out-${date}.json`), 'utf8')).created).toBe(4);
    void input;
    t.server.reset(); // LiveDesk checks a row's fields before its inbox: start from an empty desk
    const other = await runCli(['--config', job, '--inbox-id', '999', '--force'], CREDS);
    expect(other.code).toBe(3);
    expect(other.stderr).toMatch(/inbox 999/);
  });
});

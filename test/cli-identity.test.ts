// Issue 12, findings 6–8, as a person meets them: the built CLI against the stand-in, which holds
// contacts put there first through its own API. A contact is never taken for another: a row that
// shares only a phone with someone is not recorded as them, and they are left unchanged; updates
// are read as Chatwoot answers them; a 2xx whose ID cannot be read is settled by a look-up.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StandinContact } from '../src/standin/server.js';
import { CREDS, KEY, SECRET, readCsv, runCli, writeCsv } from './helpers/cli.js';
import { useStandin } from './helpers/standin.js';

const HEADER = ['Full Name', 'Email', 'Phone', 'External ID'];
const P = '+14155550100';
const t = useStandin(12, 'ldi-identity-');

/** Puts a contact in the stand-in the way anyone would: a create through its API. */
async function seed(contact: Record<string, string>): Promise<number> {
  const res = await fetch(`${t.server.url}/api/v2/accounts/contacts`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${KEY}:${SECRET}`).toString('base64')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ inbox_id: 407, ...contact }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { payload: { contact: { id: number } } }).payload.contact.id;
}

function stored(id: number): StandinContact | undefined {
  return t.server.contacts().find((c) => c.id === id);
}

/** One run's files, named after its input so runs in one test never share outputs; named on the command line, whatever the defaults. */
function outputs(name: string) {
  const stem = join(t.dir, name);
  return {
    results: () => readCsv(`${stem}.results.csv`).rows,
    failures: () => readCsv(`${stem}.failures.csv`).rows,
    summary: () => JSON.parse(readFileSync(`${stem}.summary.json`, 'utf8')) as Record<string, unknown>,
    args: ['--results', `${stem}.results.csv`, '--failures', `${stem}.failures.csv`, '--summary', `${stem}.summary.json`],
  };
}

describe('a row that shares only a phone with another contact (finding 6)', () => {
  it('is not recorded as them, and they are left unchanged, even with --on-existing update: phone_taken with their ID, exit 1', async () => {
    const holder = await seed({ name: 'Alice Holder', email: 'a@x.example', phone_number: P, identifier: 'I1' });
    const before = stored(holder);
    const input = writeCsv(t.dir, 'a1.csv', [HEADER, ['Bea New', 'b@y.example', P, 'I2']]);
    const out = outputs('a1');
    const run = await runCli([...t.live(input), '--on-existing', 'update', ...out.args], CREDS);
    expect(run.code, run.stderr).toBe(1);
    expect(stored(holder)).toEqual(before);
    expect(t.server.contacts()).toHaveLength(1);
    expect(out.results()).toEqual([]);
    const [f] = out.failures();
    expect(f).toMatchObject({ _row: '1', _error: 'phone_taken', Email: 'b@y.example' });
    expect(f!._message).toContain(`held by LiveDesk contact ${holder}, a different person`);
    expect(f!._message).toContain('--phone-taken omit');
    expect(out.summary()).toMatchObject({ created: 0, existing: 0, updated: 0, failed: 1, byError: { phone_taken: 1 } });
  });

  it('--phone-taken omit: created without the phone, a note in the results file, exit 0; the holder keeps it', async () => {
    const holder = await seed({ name: 'Alice Holder', email: 'a@x.example', phone_number: P, identifier: 'I1' });
    const before = stored(holder);
    const input = writeCsv(t.dir, 'a2.csv', [HEADER, ['Bea New', 'b@y.example', P, 'I2']]);
    const out = outputs('a2');
    const run = await runCli([...t.live(input), '--phone-taken', 'omit', ...out.args], CREDS);
    expect(run.code, run.stderr).toBe(0);
    expect(stored(holder)).toEqual(before);
    const [r] = out.results();
    const bea = t.server.contacts().find((c) => c.email === 'b@y.example')!;
    expect(bea).toMatchObject({ name: 'Bea New', identifier: 'I2', phone_number: null });
    expect(r).toMatchObject({ row: '1', outcome: 'created', contact_id: String(bea.id), email: 'b@y.example', phone_number: '' });
    expect(r!.note).toBe(`phone number ${P} left out: LiveDesk contact ${holder} holds it (--phone-taken omit)`);
    expect(out.failures()).toEqual([]);
    expect(out.summary()).toMatchObject({ created: 1, failed: 0, phoneLeftOut: 1 });
    expect(run.stderr).toContain('1 created without their phone number');
  });

  it('an email held by a contact with another identifier: key_conflict naming both keys, the contact unchanged', async () => {
    const holder = await seed({ name: 'Carl', email: 'carl@example.com', identifier: 'CRM-1' });
    const before = stored(holder);
    const input = writeCsv(t.dir, 'k.csv', [HEADER, ['Carl Two', 'carl@example.com', '', 'CRM-2']]);
    const out = outputs('k');
    const run = await runCli([...t.live(input), '--on-existing', 'update', ...out.args], CREDS);
    expect(run.code, run.stderr).toBe(1);
    expect(stored(holder)).toEqual(before);
    expect(out.failures()).toMatchObject([{ _error: 'key_conflict', _message: expect.stringContaining(`LiveDesk contact ${holder} has this row's email (carl@example.com) but a different identifier`) }]);
  });
});

describe('--on-existing update (finding 7)', () => {
  it('changed names: updated, changed on the server, exit 0', async () => {
    const id = await seed({ name: 'Old Name', email: 'c@z.example', identifier: 'I3' });
    const input = writeCsv(t.dir, 'b.csv', [HEADER, ['New Name', 'c@z.example', '', 'I3']]);
    const out = outputs('b');
    const run = await runCli([...t.live(input), '--on-existing', 'update', ...out.args], CREDS);
    expect(run.code, run.stderr).toBe(0);
    expect(out.results()).toMatchObject([{ row: '1', outcome: 'updated', contact_id: String(id), name: 'New Name', note: '' }]);
    expect(stored(id)).toMatchObject({ name: 'New Name', email: 'c@z.example', identifier: 'I3' });
    expect(out.summary()).toMatchObject({ updated: 1, failed: 0 });
  });

  it('a contact deleted between the search and the PATCH: not_found for that row, the run goes on', async () => {
    const gone = await seed({ name: 'Gone', email: 'gone@example.com' });
    t.server.setFaults({ goneOnUpdateRate: 1 });
    const input = writeCsv(t.dir, 'c.csv', [HEADER, ['Gone Again', 'gone@example.com', '', ''], ['Fresh', 'fresh@example.com', '', '']]);
    const out = outputs('c');
    const run = await runCli([...t.live(input), '--on-existing', 'update', '--concurrency', '1', ...out.args], CREDS);
    expect(run.code, run.stderr).toBe(1);
    expect(out.failures()).toMatchObject([{ _row: '1', _error: 'not_found', _message: expect.stringContaining(`LiveDesk contact ${gone} was not found`) }]);
    expect(out.results()).toMatchObject([{ row: '2', outcome: 'created' }]);
    expect(out.summary()).toMatchObject({ aborted: false, created: 1, failed: 1, notSent: 0, byError: { not_found: 1 } });
  });
});

describe('--dry-run --check-existing (finding 6)', () => {
  async function check() {
    const holder = await seed({ name: 'Alice Holder', email: 'a@x.example', phone_number: P, identifier: 'I1' });
    const same = await seed({ name: 'Same', email: 'same@example.com' });
    const input = writeCsv(t.dir, 'd.csv', [HEADER, ['Bea New', 'b@y.example', P, 'I2'], ['Same', 'SAME@example.com', '', ''], ['Newbie', 'new@example.com', '', '']]);
    const out = outputs('d');
    const requestsBefore = t.server.stats().requests;
    const run = await runCli([...t.live(input), '--dry-run', '--check-existing', ...out.args], CREDS);
    return { holder, same, out, run, requestsBefore };
  }

  it('counts a conflict apart from "already exists", with its own line and JSON field; creates nothing', async () => {
    const { run, out, requestsBefore } = await check();
    expect(run.code, run.stderr).toBe(0);
    expect(t.server.contacts()).toHaveLength(2);
    expect(t.server.stats().creates).toBe(2);
    // Row 1: identifier, email, then phone; row 2: identifier absent, email found; row 3: email only.
    expect(t.server.stats().requests - requestsBefore).toBe(3 + 1 + 1);
    expect(out.summary()).toMatchObject({ dryRun: true, conflict: 1, existing: 1, wouldCreate: 1, failed: 0 });
    expect(run.stderr).toContain('1 would be created, 1 already exist (IDs in the results file), 1 would conflict with another contact (see the note column)');
  });

  // Needs sinks/outputs.ts to write `conflict` outcomes (see the report to the lead).
  it('writes the conflict to the check\'s results file: outcome conflict, no contact_id, a note naming the holder', async () => {
    const { holder, same, out } = await check();
    // Rows finish in any order (row 1 needs three searches): by row number.
    const rows = out.results().sort((a, b) => Number(a.row) - Number(b.row));
    expect(rows.map((r) => [r.row, r.outcome, r.contact_id])).toEqual([
      ['1', 'conflict', ''],
      ['2', 'existing', String(same)],
      ['3', 'would_create', ''],
    ]);
    expect(rows[0]!.note).toBe(
      `phone number ${P} is held by LiveDesk contact ${holder}, a different person (its identifier differs from this row's): the import will fail this row as phone_taken (--phone-taken omit would create it without the phone)`,
    );
  });
});

describe('a create answered 200 with an HTML body (finding 8)', () => {
  it('is looked up by its identifier: created with the stored contact\'s ID, a note saying how, exit 0', async () => {
    t.server.setFaults({ badBodyRate: 1 });
    const input = writeCsv(t.dir, 'e.csv', [HEADER, ['Html Row', 'html@example.com', '', 'H1']]);
    const out = outputs('e');
    const run = await runCli([...t.live(input), ...out.args], CREDS);
    expect(run.code, run.stderr).toBe(0);
    const [c] = t.server.contacts();
    expect(t.server.contacts()).toHaveLength(1);
    expect(out.results()).toMatchObject([{ row: '1', outcome: 'created', contact_id: String(c!.id), note: expect.stringMatching(/^LiveDesk answered HTTP 200 but its body is not JSON \(text\/html.*its ID was found by searching its identifier$/) }]);
    expect(out.summary()).toMatchObject({ created: 1, failed: 0 });
  });
});

describe('a phone-only row and a contact that has more (review of issue 12)', () => {
  it('--on-existing update never overwrites the holder of a shared phone who has an email the row lacks', async () => {
    const holder = await seed({ name: 'Alice', email: 'alice@q.example', phone_number: P });
    const before = stored(holder);
    const input = writeCsv(t.dir, 'p1.csv', [HEADER, ['Carol', '', P, '']]);
    const out = outputs('p1');
    const run = await runCli([...t.live(input), '--on-existing', 'update', ...out.args], CREDS);
    expect(run.code, run.stderr).toBe(1);
    expect(stored(holder)).toEqual(before);
    const [f] = out.failures();
    expect(f).toMatchObject({ _error: 'phone_taken' });
    expect(f!._message).toContain('a shared phone alone does not prove it is this row');
  });
});

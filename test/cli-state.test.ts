// Nightly sync (issue 13): a rerun pays only for what changed. The state store remembers what
// LiveDesk answered; an unchanged row costs no request, a changed one a PATCH by its known ID, a
// new one a create. Against the stand-in, counting the requests it saw.
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { StateStore } from '../src/state/store.js';
import { CREDS, KEY, people, readCsv, runCli, startCli, waitFor, writeCsv } from './helpers/cli.js';
import { useStandin } from './helpers/standin.js';

const HEADER = ['Full Name', 'Email', 'Phone', 'External ID'];
const t = useStandin(13, 'ldi-state-it-');
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  // One state folder for the whole test: its runs share the store, as one machine's nights do.
  env = { ...CREDS, XDG_STATE_HOME: mkdtempSync(join(tmpdir(), 'ldi-xdg-')) };
});
const requests = (): number => t.server.stats().requests;
const results = (name: string): Record<string, string>[] => readCsv(join(t.dir, `${name}.results.csv`)).rows;

describe('a rerun pays only for what changed', () => {
  it('the same file again: no request, every row unchanged with the first run\'s contact ID; then renamed and new rows', async () => {
    const input = writeCsv(t.dir, 'n1.csv', [HEADER, ...people(300)]);
    const first = await runCli([...t.live(input), '--summary', join(t.dir, 's1.json')], env);
    expect(first.code, first.stderr).toBe(0);
    const ids = new Map(results('n1').map((r) => [r.row, r.contact_id]));

    const before = requests();
    const again = await runCli([...t.live(input), '--summary', join(t.dir, 's2.json')], env);
    expect(again.code, again.stderr).toBe(0);
    // One request a run: LiveDesk must take the credentials before rows are settled unsent.
    expect(requests() - before).toBe(1);
    const rows = results('n1');
    expect(rows.map((r) => r.outcome)).toEqual(Array(300).fill('unchanged'));
    for (const r of rows) expect(r.contact_id).toBe(ids.get(r.row));
    expect(again.stderr).toMatch(/300 unchanged: LiveDesk holds these fields already, nothing was sent \(the state store/);

    // 15 renamed, 15 new, --on-existing update: one PATCH or one create each.
    const renamed = people(300).map((r, i) => (i < 15 ? [`${r[0]} Renamed`, r[1]!, r[2]!, r[3]!] : r));
    const input2 = writeCsv(t.dir, 'n2.csv', [HEADER, ...renamed, ...people(15, 301)]);
    const before2 = requests();
    const night2 = await runCli([...t.live(input2), '--on-existing', 'update'], env);
    expect(night2.code, night2.stderr).toBe(0);
    expect(requests() - before2).toBe(31); // 15 PATCHes, 15 creates, the credentials check
    const out = results('n2');
    expect(out.filter((r) => r.outcome === 'updated')).toHaveLength(15);
    expect(out.filter((r) => r.outcome === 'created')).toHaveLength(15);
    expect(out.filter((r) => r.outcome === 'unchanged')).toHaveLength(285);
    const stored = t.server.contacts();
    expect(stored).toHaveLength(315);
    expect(stored.filter((c) => c.name?.endsWith('Renamed'))).toHaveLength(15);
  });

  it('--no-state and --full decide against LiveDesk again; a dry run with the store sends nothing', async () => {
    const input = writeCsv(t.dir, 'c.csv', [HEADER, ...people(40)]);
    expect((await runCli(t.live(input), env)).code).toBe(0);
    let before = requests();
    expect((await runCli([...t.live(input), '--no-state'], env)).code).toBe(0);
    expect(requests() - before).toBeGreaterThanOrEqual(80); // a create answered "taken", then a search
    before = requests();
    const full = await runCli([...t.live(input), '--full'], env);
    expect(full.code, full.stderr).toBe(0);
    expect(requests() - before).toBeGreaterThanOrEqual(80);
    expect(results('c').map((r) => r.outcome)).toEqual(Array(40).fill('existing'));

    const changed = people(40).map((r, i) => (i < 4 ? [`${r[0]} X`, r[1]!, r[2]!, r[3]!] : r));
    const input2 = writeCsv(t.dir, 'd.csv', [HEADER, ...changed, ...people(2, 41)]);
    before = requests();
    const dry = await runCli([input2, '--dry-run', '--inbox-id', '407', '--base-url', t.server.url], env);
    expect(dry.code, dry.stderr).toBe(0);
    expect(requests()).toBe(before);
    // The store still knows what was last sent to each contact: 36 unchanged, 4 changed, 2 new.
    expect(dry.stderr).toMatch(/By the state store \(no request sent\): 36 unchanged since the last run, 4 known with changed fields \(updated with --on-existing update\), 2 not known/);
  });

  it('kill -9 while the store is written, then --resume: the store agrees with LiveDesk, contact by contact', async () => {
    t.server.setFaults({ latencyMs: 10 });
    const input = writeCsv(t.dir, 'k.csv', [HEADER, ...people(400)]);
    const first = startCli([...t.live(input), '--concurrency', '4'], env);
    await waitFor(() => t.server.contacts().length >= 150);
    first.child.kill('SIGKILL');
    await first.done;
    t.server.setFaults({});
    const again = await runCli([...t.live(input), '--resume'], env);
    expect(again.code, again.stderr).toBe(0);
    const store = await StateStore.open(join(env.XDG_STATE_HOME!, 'livedesk-import') + '/', { baseUrl: t.server.url, apiKey: KEY, inboxId: 407 });
    try {
      const known = [...store.entries()];
      const onServer = t.server.contacts();
      expect(onServer).toHaveLength(400);
      // Behind LiveDesk at most, never ahead: every stored contact is LiveDesk's, with its keys.
      const byId = new Map(onServer.map((c) => [String(c.id), c]));
      for (const k of known) {
        const c = byId.get(k.id);
        expect(c, `store has ${k.id}, LiveDesk does not`).toBeDefined();
        expect(k.email).toBe(c!.email);
        expect(k.identifier).toBe(c!.identifier);
      }
      // The resumed run recorded what it created or found: the store knows every contact.
      expect(known).toHaveLength(400);
    } finally {
      await store.close();
    }
  });

  it('a known contact deleted inside LiveDesk: the PATCH answers 404, and it is created again', async () => {
    const input = writeCsv(t.dir, 'g.csv', [HEADER, ...people(5)]);
    expect((await runCli(t.live(input), env)).code).toBe(0);
    t.server.setFaults({ goneOnUpdateRate: 1 });
    const renamed = writeCsv(t.dir, 'g2.csv', [HEADER, ...people(5).map((r) => [`${r[0]} Again`, r[1]!, r[2]!, r[3]!])]);
    const run = await runCli([...t.live(renamed), '--on-existing', 'update'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(results('g2').map((r) => r.outcome)).toEqual(Array(5).fill('created'));
    expect(t.server.contacts().map((c) => c.name).sort()).toEqual(people(5).map((r) => `${r[0]} Again`).sort());
  });
});

describe('the store never vouches for more than LiveDesk said (review of issue 13)', () => {
  it('a PATCH that timed out leaves the contact "changed": the next night with the old fields sends it again', async () => {
    const input = writeCsv(t.dir, 'a.csv', [HEADER, ['Ann', 'ann@x.example', '', 'N1']]);
    expect((await runCli(t.live(input), env)).code).toBe(0);
    t.server.setFaults({ latencyMs: 1500 });
    const garbled = writeCsv(t.dir, 'b.csv', [HEADER, ['ANN-GARBLED', 'ann@x.example', '', 'N1']]);
    const slow = await runCli([...t.live(garbled), '--on-existing', 'update', '--timeout', '500', '--retries', '1', '--max-consecutive-failures', '0'], env);
    expect(slow.code).toBe(1);
    t.server.setFaults({});
    await new Promise((r) => setTimeout(r, 1600)); // the stand-in applies the slow PATCH meanwhile
    const before = requests();
    const fixed = await runCli([...t.live(input), '--on-existing', 'update'], env);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(requests() - before).toBe(1);
    expect(t.server.contacts()[0]!.name).toBe('Ann');
  });

  it('a row with a key the store does not hold on its contact is decided against LiveDesk', async () => {
    const input = writeCsv(t.dir, 'c.csv', [HEADER, ['Alice', 'a@x.example', '', '']]);
    expect((await runCli(t.live(input), env)).code).toBe(0);
    const withId = writeCsv(t.dir, 'd.csv', [HEADER, ['Alice', 'a@x.example', '', 'A1']]);
    const before = requests();
    const run = await runCli(t.live(withId), env);
    expect(run.code, run.stderr).toBe(0);
    expect(requests() - before).toBeGreaterThan(0);
  });

  it('a night with nothing to send still fails on credentials LiveDesk refuses (exit 3), and settles nothing', async () => {
    const input = writeCsv(t.dir, 'w.csv', [HEADER, ...people(20)]);
    expect((await runCli(t.live(input), env)).code).toBe(0);
    const wrong = await runCli([...t.live(input), '--summary', join(t.dir, 'w.json')], { ...env, LIVEDESK_API_SECRET: 'revoked' });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/refused the credentials/);
  });

  it('state forget never deletes a file that is not a store (the input CSV named by --state)', async () => {
    const input = writeCsv(t.dir, 'keep.csv', [HEADER, ...people(2)]);
    const r = await runCli(['state', 'forget', '--state', input, '--yes'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(readCsv(input).rows).toHaveLength(2);
  });
});

describe('rows that left the file, and the review of issue 13', () => {
  it('state export --missing lists the contacts the last complete run\'s file no longer had; a stopped run changes nothing', async () => {
    const input = writeCsv(t.dir, 'm1.csv', [HEADER, ...people(10)]);
    const first = await runCli([...t.live(input), '--report', join(t.dir, 'm1.html')], env);
    expect(first.code, first.stderr).toBe(0);
    const smaller = writeCsv(t.dir, 'm2.csv', [HEADER, ...people(7)]);
    const night = await runCli([...t.live(smaller), '--summary', join(t.dir, 'm.json'), '--report', join(t.dir, 'm2.html')], env);
    expect(night.code, night.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(t.dir, 'm.json'), 'utf8')).missingFromFile).toBe(3);
    expect(night.stderr).toMatch(/knows 3 contacts of this inbox that no row of this file led to/);
    // The report has a tile for the rows the store settled.
    expect(readFileSync(join(t.dir, 'm2.html'), 'utf8')).toMatch(/id="count-unchanged"><dt>unchanged \(not sent\)<\/dt><dd data-count="unchanged">7</);
    // A stopped run (credentials refused: exit 3) did not read its file to the end: the list stays.
    const stopped = await runCli(t.live(writeCsv(t.dir, 'm3.csv', [HEADER, ...people(2)])), { ...env, LIVEDESK_API_SECRET: 'revoked' });
    expect(stopped.code).toBe(3);
    const out = join(t.dir, 'missing.csv');
    const ex = await runCli(['state', 'export', '--missing', out, '--inbox-id', '407', '--base-url', t.server.url], env);
    expect(ex.code, ex.stderr).toBe(0);
    expect(readCsv(out).rows.map((r) => r.email).sort()).toEqual(['person10@example.com', 'person8@example.com', 'person9@example.com']);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const show = await runCli(['state'], env);
    expect(show.code).toBe(0);
    expect(show.stderr).toMatch(/10 contacts.*\n.*no longer had 3 of them/);
  });

  it('state export with a mistyped scope says so (exit 2) and creates no store and no file', async () => {
    const input = writeCsv(t.dir, 'e.csv', [HEADER, ...people(3)]);
    expect((await runCli(t.live(input), env)).code).toBe(0);
    const folder = join(env.XDG_STATE_HOME!, 'livedesk-import');
    const before = readdirSync(folder);
    const out = join(t.dir, 'nope.csv');
    const ex = await runCli(['state', 'export', out, '--inbox-id', '408', '--base-url', t.server.url], env);
    expect(ex.code).toBe(2);
    expect(ex.stderr).toMatch(/no state store of inbox 408/);
    expect(readdirSync(folder)).toEqual(before);
    expect(existsSync(out)).toBe(false);
    const ok = await runCli(['state', 'export', out, '--inbox-id', '407', '--base-url', t.server.url], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(readCsv(out).rows).toHaveLength(3);
  });

  it('--phone-taken omit: the contact enters the store without the phone, as LiveDesk holds it, and the phone stays its holder\'s', async () => {
    const holder = writeCsv(t.dir, 'p1.csv', [HEADER, ['Holder', 'holder@example.com', '+14155550999', 'H-1']]);
    expect((await runCli(t.live(holder), env)).code).toBe(0);
    const taker = writeCsv(t.dir, 'p2.csv', [HEADER, ['Taker', 'taker@example.com', '+14155550999', 'T-1']]);
    const run = await runCli([...t.live(taker), '--phone-taken', 'omit'], env);
    expect(run.code, run.stderr).toBe(0);
    const [row] = results('p2');
    expect(row?.outcome).toBe('created');
    const onServer = t.server.contacts().find((c) => c.email === 'taker@example.com');
    expect(onServer?.phone_number ?? undefined).toBeUndefined();
    const store = await StateStore.open(join(env.XDG_STATE_HOME!, 'livedesk-import') + '/', { baseUrl: t.server.url, apiKey: KEY, inboxId: 407 }, { readOnly: true });
    try {
      const taken = store.get(row!.contact_id!);
      expect(taken).toMatchObject({ email: 'taker@example.com', identifier: 'T-1' });
      expect(taken?.phone_number).toBeUndefined();
      expect(store.find({ phone_number: '+14155550999' }).phone_number).toMatchObject({ email: 'holder@example.com' });
    } finally {
      await store.close();
    }
    // The next night the row still has the phone the store does not hold on its contact: decided
    // against LiveDesk again (never "unchanged" on a guess), and left out again.
    const before = requests();
    const again = await runCli([...t.live(taker), '--phone-taken', 'omit'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(requests() - before).toBeGreaterThan(1);
    expect(t.server.contacts().filter((c) => c.email === 'taker@example.com')).toHaveLength(1);
  });
});

describe('what counts as missing (state-store review 8)', () => {
  it('--full with rows that fail: their contacts are still in the file, not missing', async () => {
    const input = writeCsv(t.dir, 'full-fail.csv', [HEADER, ...people(10, 501)]);
    expect((await runCli(t.live(input), env)).code).toBe(0);
    const again = await runCli([...t.live(input), '--full', '--on-existing', 'fail', '--force', '--summary', join(t.dir, 'ff.json')], env);
    expect(again.stdout + again.stderr).not.toMatch(/no row of this file led to/);
    expect(JSON.parse(readFileSync(join(t.dir, 'ff.json'), 'utf8')).missingFromFile ?? 0).toBe(0);
  });

  it('a row the map rejects (a bad email) still leads to its contact by its other keys', async () => {
    const rows = people(5, 601);
    const input = writeCsv(t.dir, 'map-fail.csv', [HEADER, ...rows]);
    expect((await runCli(t.live(input), env)).code).toBe(0);
    const bad = writeCsv(t.dir, 'map-fail2.csv', [HEADER, ...rows.map((r, i) => (i === 0 ? [r[0]!, 'not-an-email@', r[2]!, r[3]!] : r))]);
    const again = await runCli([...t.live(bad), '--summary', join(t.dir, 'mf.json')], env);
    const summary = JSON.parse(readFileSync(join(t.dir, 'mf.json'), 'utf8'));
    expect(summary.missingFromFile ?? 0, again.stderr).toBe(0);
  });
});

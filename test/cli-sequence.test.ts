// Issue 12, "done when": the runs a nightly job lives through, one after the other, with no
// --force anywhere, ending with every contact exactly once. And an outage stopped at exit 3, then
// --resume once the server is back: every row created, none left failed for `network`.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startStandin } from '../src/standin/server.js';
import { CREDS, KEY, SECRET, people, readCsv, runCli, startCli, waitFor, writeCsv } from './helpers/cli.js';
import { useStandin } from './helpers/standin.js';

const HEADER = ['Full Name', 'Email', 'Phone', 'External ID'];
const t = useStandin(21, 'ldi-seq-');

function byEmail(): Map<string, { id: number; name?: string | null; phone_number?: string | null; identifier?: string | null }> {
  const all = t.server.contacts();
  expect(new Set(all.map((c) => c.email)).size).toBe(all.length);
  return new Map(all.map((c) => [c.email!, c]));
}

describe('dry run → import → again → next night → kill -9 and --resume after midnight → a shared phone → updates', () => {
  it('needs no --force and ends with every contact exactly once', async () => {
    const input = join(t.dir, 'export.csv');
    writeCsv(t.dir, 'export.csv', [HEADER, ...people(30)]);
    const out = join(t.dir, 'out');
    mkdirSync(out);
    const job = join(t.dir, 'nightly.yaml');
    writeFileSync(job, [`input: export.csv`, `inboxId: 407`, `baseUrl: ${t.server.url}`, `rate: 1000`, `concurrency: 4`, `results: out/{date}.csv`, `failures: out/{date}.failures.csv`].join('\n'));
    const day1 = { ...CREDS, TZ: 'Pacific/Kiritimati' }; // UTC+14
    const day2 = { ...CREDS, TZ: 'Pacific/Pago_Pago' }; // UTC−11: always the next date… or the one before
    const step = async (name: string, args: string[], env: NodeJS.ProcessEnv, code: number): Promise<string> => {
      const r = await runCli(args, env);
      expect(r.code, `${name}: ${r.stderr}`).toBe(code);
      return r.stderr;
    };

    // 1. A dry run, then the import, then the same command again.
    await step('dry run', ['--config', job, '--dry-run'], day1, 0);
    await step('import', ['--config', job], day1, 0);
    expect(t.server.contacts()).toHaveLength(30);
    const again = await step('same command again', ['--config', job], day1, 0);
    expect(again).toMatch(/The earlier run's files were kept/);
    expect(t.server.contacts()).toHaveLength(30);

    // 2. The next night: the same input path holds a longer export; new dated outputs.
    writeCsv(t.dir, 'export.csv', [HEADER, ...people(400)]);
    t.server.setFaults({ latencyMs: 10 });
    const night = startCli(['--config', job], day2);
    await waitFor(() => t.server.contacts().length >= 120);
    night.child.kill('SIGKILL'); // before midnight…
    await night.done;
    t.server.setFaults({});
    // …and the same command plus --resume after it (another date in the paths).
    await step('resume after midnight', ['--config', job, '--resume'], day1, 0);
    expect(t.server.contacts()).toHaveLength(400);
    const nightFiles = readdirSync(out).filter((f) => /^\d{4}-\d\d-\d\d\.csv$/.test(f));
    const day2Results = readCsv(join(out, nightFiles.find((f) => readCsv(join(out, f)).rows.length === 400)!)).rows;
    expect(new Set(day2Results.map((r) => r.row)).size).toBe(400);

    // 3. A row that shares only a phone with an existing contact: that contact unchanged, the row
    //    not recorded as them.
    const holder = byEmail().get('person1@example.com')!;
    const newcomer = ['Newcomer', 'newcomer@example.com', holder.phone_number!, 'N-1'];
    const shared = writeCsv(t.dir, 'shared.csv', [HEADER, newcomer]);
    await step('shared phone', [...t.live(shared)], CREDS, 1);
    expect(byEmail().get('person1@example.com')).toEqual(holder);
    expect(readCsv(join(t.dir, 'shared.failures.csv')).rows[0]).toMatchObject({ _error: 'phone_taken' });
    expect(readCsv(join(t.dir, 'shared.results.csv')).rows).toEqual([]);

    // 4. --on-existing update with changed names: reported updated, changed on the server.
    const renamed = people(5).map((r) => [`${r[0]} Renamed`, r[1]!, r[2]!, r[3]!]);
    const upd = writeCsv(t.dir, 'renamed.csv', [HEADER, ...renamed]);
    await step('update', [...t.live(upd), '--on-existing', 'update'], CREDS, 0);
    expect(readCsv(join(t.dir, 'renamed.results.csv')).rows.map((r) => r.outcome)).toEqual(Array(5).fill('updated'));
    const after = byEmail();
    for (const r of renamed) expect(after.get(r[1]!)!.name).toBe(r[0]);
    expect(t.server.contacts()).toHaveLength(400);
    void input;
  });
});

describe('an outage: exit 3, then --resume with the server back', () => {
  it('creates every row; none is left failed for network', async () => {
    // A LiveDesk of our own on a fixed port, stopped during the run and started again.
    const first = await startStandin({ port: 0, apiKey: KEY, apiSecret: SECRET, inboxIds: [407], seed: 3 });
    const url = first.url;
    const port = Number(new URL(url).port);
    await first.close();
    const input = writeCsv(t.dir, 'c.csv', [['Full Name', 'Email', 'Phone', 'External ID'], ...people(80)]);
    const args = [input, '--inbox-id', '407', '--base-url', url, '--rate', '1000', '--retries', '1', '--concurrency', '2', '--summary', join(t.dir, 's.json')];
    const down = await runCli(args, CREDS);
    expect(down.code, down.stderr).toBe(3);
    expect(down.stderr).toMatch(/rows in a row failed with network or server errors/);
    expect(JSON.parse(readFileSync(join(t.dir, 's.json'), 'utf8')).byError.network).toBeGreaterThan(0);
    const back = await startStandin({ port, apiKey: KEY, apiSecret: SECRET, inboxIds: [407], seed: 3 });
    try {
      const resumed = await runCli([...args, '--resume'], CREDS);
      expect(resumed.code, resumed.stderr).toBe(0);
      const s = JSON.parse(readFileSync(join(t.dir, 's.json'), 'utf8'));
      expect(s).toMatchObject({ rows: 80, created: 80, failed: 0, notSent: 0 });
      expect(s.byError.network).toBeUndefined();
      expect(back.contacts()).toHaveLength(80);
      expect(readCsv(join(t.dir, 'c.failures.csv')).rows).toEqual([]);
      expect(readCsv(join(t.dir, 'c.results.csv')).rows.map((r) => r.contact_id).sort()).toEqual(back.contacts().map((c) => String(c.id)).sort());
    } finally {
      await back.close();
    }
  });
});

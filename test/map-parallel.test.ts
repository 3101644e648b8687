// The map stage on worker threads gives the same verdicts, in the same order, as on the main
// thread; a worker that dies hands its rows back; and the CLI writes the same files either way.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { detectMapping } from '../src/map/index.js';
import { mapRecords, type MapStageOptions } from '../src/map/parallel.js';
import type { Validation } from '../src/map/validate.js';
import { CREDS, readCsv, runCli } from './helpers/cli.js';
import { useStandin } from './helpers/standin.js';

const WORKER = new URL('../dist/map/worker.js', import.meta.url);
const HEADER = ['Full Name', 'Email', 'Phone', 'Customer ID', 'Notes'];

interface Rec {
  kind: 'record' | 'malformed';
  row: number;
  values: string[];
}

/** Rows of every kind the map stage meets: valid, each kind of invalid, blank, malformed, formula-guarded. */
function rows(n: number): Rec[] {
  const out: Rec[] = [];
  for (let i = 1; i <= n; i++) {
    const k = i % 9;
    const values =
      k === 0 ? ['', '', '', '', '']
      : k === 1 ? [`Ana ${i}`, `not-an-email-${i}`, '', `c${i}`, '']
      : k === 2 ? [`Bo ${i}`, '', `555-01${String(i % 100).padStart(2, '0')}`, '', '']
      : k === 3 ? [`Cy ${i}`, '', `020 7946 ${String(i % 10000).padStart(4, '0')}`, '', 'national, read with GB']
      : k === 4 ? [`'=Dee ${i}`, `'-dee${i}@example.com`, '', '', 'formula-guarded cells']
      : k === 5 ? ['', '', '', '', 'notes only']
      : [`Person ${i}`, `p${i}@example.com`, `+1 415 555 ${String(i % 10000).padStart(4, '0')}`, `crm-${i}`, ''];
    out.push({ kind: k === 7 ? 'malformed' : 'record', row: i, values });
  }
  return out;
}

/** The records, with a pause every 500 so that workers get ready before the file is over. */
async function* source(recs: Rec[]): AsyncGenerator<Rec> {
  for (let i = 0; i < recs.length; i++) {
    if (i % 500 === 0) await new Promise((r) => setTimeout(r, 40));
    yield recs[i]!;
  }
}

let threadedBatches = 0;

async function verdicts(recs: Rec[], o: Partial<MapStageOptions>): Promise<{ row: number; v: Validation | undefined }[]> {
  const mapping = detectMapping(HEADER);
  const out: { row: number; v: Validation | undefined }[] = [];
  const wants = (r: Rec): boolean => r.kind === 'record' && r.values.some((v) => v !== '');
  for await (const b of mapRecords(source(recs), wants, { mapping, options: { defaultCountry: 'GB' }, restoreFormulas: true, threads: 0, ...o })) {
    b.recs.forEach((r, i) => out.push({ row: r.row, v: b.results[i] }));
    if (b.threaded) threadedBatches++;
  }
  return out;
}

describe('map stage on worker threads', () => {
  it('needs the built worker (npm test builds it first)', () => {
    expect(existsSync(fileURLToPath(WORKER)), 'run `npm run build` first').toBe(true);
  });

  it('gives the verdicts the main thread gives, in file order', async () => {
    const recs = rows(5_000);
    const here = await verdicts(recs, { threads: 0 });
    threadedBatches = 0;
    const threaded = await verdicts(recs, { threads: 2, workerUrl: WORKER, batchSize: 64 });
    expect(threaded.map((x) => x.row)).toEqual(recs.map((r) => r.row));
    expect(threaded).toEqual(here);
    expect(threadedBatches).toBeGreaterThan(10);
    // The mix is what the test means it to be.
    const ok = here.filter((x) => x.v?.ok).length;
    const bad = here.filter((x) => x.v !== undefined && !x.v.ok).length;
    expect(ok).toBeGreaterThan(2_000);
    expect(bad).toBeGreaterThan(1_000);
    expect(here.find((x) => x.row === 4)?.v).toMatchObject({ ok: true, contact: { name: '=Dee 4', email: '-dee4@example.com' } });
  });

  it('maps a dead worker’s rows on the main thread and says so once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ldi-worker-'));
    const crashing = join(dir, 'ldi-crashing-worker.mjs');
    writeFileSync(
      crashing,
      "import { parentPort } from 'node:worker_threads';\nparentPort.postMessage({ ready: true });\nparentPort.on('message', () => { throw new Error('boom'); });\n",
    );
    const errors: string[] = [];
    const recs = rows(3_000);
    const got = await verdicts(recs, { threads: 1, workerUrl: pathToFileURL(crashing), batchSize: 100, onWorkerError: (e) => errors.push(e.message) });
    expect(got).toEqual(await verdicts(recs, { threads: 0 }));
    expect(errors).toEqual(['boom']);
  });
});

describe('the CLI with --threads', () => {
  const t = useStandin(11, 'ldi-par-');

  function mixedFile(name: string, n: number): string {
    const lines = [HEADER.join(',')];
    for (const r of rows(n)) lines.push(r.kind === 'malformed' ? `broken "quote,${r.row}` : r.values.map((v) => (/[",]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)).join(','));
    // Repeats of earlier rows, to be caught as duplicates in the file.
    lines.push(`Again,p8@example.com,,,`, `Again,,,crm-17,`);
    const p = join(t.dir, name);
    writeFileSync(p, lines.join('\n') + '\n');
    return p;
  }

  it('writes the same failures file and counts with workers as without', async () => {
    const input = mixedFile('mixed.csv', 3_000);
    const run = async (threads: string) => {
      const tag = `t${threads}`;
      const r = await runCli([input, '--dry-run', '--threads', threads, '--default-country', 'GB', '--force', '--failures', join(t.dir, `${tag}.failures.csv`), '--summary', join(t.dir, `${tag}.json`)], CREDS);
      expect(r.code, r.stderr).toBe(1);
      const s = JSON.parse(readFileSync(join(t.dir, `${tag}.json`), 'utf8'));
      delete s.durationMs;
      delete s.failures;
      return { failures: readFileSync(join(t.dir, `${tag}.failures.csv`), 'utf8'), summary: s };
    };
    const main = await run('0');
    const workers = await run('2');
    expect(workers.summary).toEqual(main.summary);
    expect(workers.failures).toBe(main.failures);
    expect(main.summary.byError.duplicate_in_file).toBe(2);
    expect(main.summary.byError.malformed_row).toBeGreaterThan(0);
  });

  it('imports every valid row once with workers', async () => {
    t.server.reset();
    const input = mixedFile('live.csv', 1_200);
    const r = await runCli([...t.live(input, '--threads', '2', '--concurrency', '8', '--default-country', 'GB', '--summary', join(t.dir, 'live.json'))], CREDS);
    expect(r.code, r.stderr).toBe(1);
    const s = JSON.parse(readFileSync(join(t.dir, 'live.json'), 'utf8'));
    const results = readCsv(join(t.dir, 'live.results.csv')).rows;
    const failures = readCsv(join(t.dir, 'live.failures.csv')).rows;
    expect(s.created).toBe(results.length);
    expect(t.server.contacts()).toHaveLength(results.length);
    expect(results.length + failures.length + s.skipped).toBe(1_202);
    expect(new Set([...results, ...failures].map((x) => x.row ?? x._row)).size).toBe(results.length + failures.length);
  });

  it('gives every row before an unreadable record its outcome, with and without workers', async () => {
    const lines = [HEADER.join(',')];
    for (let i = 1; i <= 1_000; i++) lines.push(`Person ${i},p${i}@example.com,,crm-${i},`);
    // A quote never closed on a huge line: csv-parse cannot tell where the next record starts.
    lines.push(`Broken,"${'x'.repeat(1_200_000)}`);
    const input = join(t.dir, 'cut.csv');
    writeFileSync(input, lines.join('\n') + '\n');
    for (const threads of ['0', '2']) {
      const summary = join(t.dir, `cut-${threads}.json`);
      const r = await runCli([input, '--dry-run', '--threads', threads, '--force', '--summary', summary], CREDS);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toContain('the 1,000 rows before it were read');
      const s = JSON.parse(readFileSync(summary, 'utf8'));
      expect(s).toMatchObject({ rows: 1_000, valid: 1_000, aborted: true });
    }
  });
});

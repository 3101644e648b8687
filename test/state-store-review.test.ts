// Defects a review of the state store found (locks, forget, orphan logs, open-time I/O errors,
// damaged records, failed merges, leftovers, offsets past 4 GiB): each test failed before its fix.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StateStore } from '../src/state/store.js';

const root = mkdtempSync('/tmp/storefix-test-');
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(root, `s${++n}`) + '/';
const SCOPE = { baseUrl: 'https://x.example', apiKey: 'k', inboxId: '1' };

/** The store bundled for child processes (separate process IDs: what the lock is about). */
let bundle = '';
beforeAll(async () => {
  const { build } = await import('esbuild');
  bundle = join(root, 'store.mjs');
  await build({
    entryPoints: [join(import.meta.dirname, '../src/state/store.ts')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outfile: bundle,
    logLevel: 'warning',
    define: { 'import.meta.url': JSON.stringify(pathToFileURL(join(import.meta.dirname, '../src/state/store.ts')).href) },
  });
});

/** Runs a child script (an ES module, `store` imported) and resolves with its output once it ends. */
function child(src: string, args: string[] = []): { out: () => string; done: Promise<string>; kill: () => void } {
  const file = join(root, `child-${++n}.mjs`);
  writeFileSync(file, `import { StateStore } from ${JSON.stringify(bundle)};\n${src}`);
  const c = spawn(process.execPath, [file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  c.stdout.on('data', (d: Buffer) => (out += d.toString()));
  c.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return { out: () => out, done: new Promise((r) => c.on('exit', () => r(out.trim()))), kill: () => c.kill('SIGKILL') };
}

const until = async (ok: () => boolean): Promise<void> => {
  for (let i = 0; i < 1000 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('review 1: one writer per store', () => {
  it('refuses a lock that is still empty (a writer between creating it and writing its PID)', async () => {
    const path = fresh();
    await (await StateStore.open(path, SCOPE)).close();
    const file = join(path, readdirSync(path).find((f) => f.endsWith('.store'))!);
    writeFileSync(`${file}-lock`, '');
    await expect(StateStore.open(path, SCOPE)).rejects.toMatchObject({ code: 'state_busy' });
    expect(existsSync(`${file}-lock`)).toBe(true);
    // An unreadable lock left for long is stale: taken over.
    const old = new Date(Date.now() - 120_000);
    utimesSync(`${file}-lock`, old, old);
    await (await StateStore.open(path, SCOPE)).close();
    expect(existsSync(`${file}-lock`)).toBe(false);
  });

  it('lets only one of two processes take over the same stale lock', { timeout: 20_000 }, async () => {
    const src = `
import { existsSync, openSync, rmSync } from 'node:fs';
// Both start together: each spins until the test says go.
console.log('ready');
while (!existsSync(process.argv[2] + '.go'));
const s = await StateStore.open(process.argv[2], ${JSON.stringify(SCOPE)}).catch((e) => { console.log(e.code); process.exit(0); });
// Holding the store: a second holder at the same time finds this mark.
try { openSync(process.argv[2] + '.holder', 'wx'); } catch { console.log('both'); process.exit(0); }
console.log('got');
await new Promise((r) => setTimeout(r, 250));
rmSync(process.argv[2] + '.holder');
await s.close();`;
    for (let t = 0; t < 10; t++) {
      const file = join(root, `race-${t}.store`);
      writeFileSync(`${file}-lock`, '999999999\n'); // a process that is gone
      const kids = [child(src, [file]), child(src, [file])];
      await until(() => kids.every((k) => k.out().includes('ready')));
      writeFileSync(`${file}.go`, '');
      const r = (await Promise.all(kids.map((k) => k.done))).map((o) => o.replace(/^ready\s*/, ''));
      // Either one refused, or (started far apart) one after the other: never both at once.
      expect(r, `trial ${t}`).toContain('got');
      expect(r, `trial ${t}`).not.toContain('both');
      for (const x of r) expect(['got', 'state_busy']).toContain(x);
      expect(readdirSync(root).filter((f) => f.startsWith(`race-${t}.store-lock`) || f.endsWith('.holder'))).toEqual([]);
    }
  });

  it('release leaves a lock that another process holds now', async () => {
    const path = fresh();
    const s = await StateStore.open(path, SCOPE);
    const file = join(path, readdirSync(path).find((f) => f.endsWith('.store'))!);
    writeFileSync(`${file}-lock`, `${process.ppid}\n`);
    await s.close();
    expect(readFileSync(`${file}-lock`, 'utf8')).toBe(`${process.ppid}\n`);
  });
});

describe('review 2: state forget during a live import', () => {
  it('refuses (state_busy) and removes nothing while a writer holds the store', { timeout: 15_000 }, async () => {
    const dir = fresh();
    const go = join(root, `go-${n}`);
    const w = child(`
const s = await StateStore.open(${JSON.stringify(dir)}, ${JSON.stringify(SCOPE)});
for (let i = 0; i < 50; i++) s.record({ id: String(i), fingerprint: 'f', email: 'e' + i + '@x.example' });
await s.commit(); console.log('open');
while (!(await import('node:fs')).existsSync(${JSON.stringify(go)})) await new Promise((r) => setTimeout(r, 10));
await s.close(); console.log('closed');`);
    await until(() => w.out().includes('open'));
    const before = readdirSync(dir).sort();
    await expect(StateStore.forget(dir, SCOPE)).rejects.toMatchObject({ code: 'state_busy' });
    await expect(StateStore.forget(dir)).rejects.toMatchObject({ code: 'state_busy' });
    expect(readdirSync(dir).sort()).toEqual(before);
    writeFileSync(go, '');
    expect(await w.done).toContain('closed');
    const s = await StateStore.open(dir, SCOPE, { readOnly: true });
    expect(s.count()).toBe(50);
    await s.close();
    await StateStore.forget(dir, SCOPE);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('review 3: a log without its base', () => {
  it('does not make the store unopenable', { timeout: 15_000 }, async () => {
    const file = join(root, `orphan-${++n}.store`);
    await child(`
const s = await StateStore.open(${JSON.stringify(file)}, ${JSON.stringify(SCOPE)});
s.record({ id: '1', fingerprint: 'f', email: 'a@x.example' });
await s.commit();
process.kill(process.pid, 'SIGKILL');`).done;
    expect(existsSync(`${file}-log`)).toBe(true);
    rmSync(file); // a forget stopped after removing the base, or a user's rm
    for (let i = 0; i < 2; i++) {
      const s = await StateStore.open(file, SCOPE);
      expect(s.count()).toBe(0);
      await s.close();
    }
  });
});

describe('review 4: I/O errors while opening are clear refusals, not crashes', () => {
  it('a path through a file: StateStoreError (exit 2) from open, describe and forget', async () => {
    const f = join(root, `plain-${++n}.txt`);
    writeFileSync(f, 'not a folder');
    const through = join(f, 'x') + '/';
    // Each started only when awaited: a rejection nobody awaits yet is an unhandled one.
    const calls = [() => StateStore.open(through, SCOPE), () => StateStore.open(join(f, 'x', 'y.store'), SCOPE), () => StateStore.describe(join(f, 'x', 'y.store')), () => StateStore.forget(through, SCOPE)];
    for (const call of calls) {
      await expect(call()).rejects.toMatchObject({ name: 'StateStoreError', code: 'state_store' });
    }
    await expect(StateStore.open(through, SCOPE)).rejects.toThrow(/cannot be opened: ENOTDIR/);
  });

  it('the CLI says so and exits 2', { timeout: 20_000 }, async () => {
    const { runCli } = await import('./helpers/cli.js');
    const f = join(root, `plain-${++n}.txt`);
    writeFileSync(f, 'not a folder');
    const r = await runCli(['state', '--state', join(f, 'x', 'y.store')]);
    expect(r.stderr).toMatch(/cannot be opened/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(2);
  });
});

describe('review 5: a base record whose length reads 0', () => {
  it('is reported as damaged instead of looping forever', async () => {
    const { openSync, writeSync, closeSync } = await import('node:fs');
    const file = join(root, `zero-${++n}.store`);
    const s = await StateStore.open(file, SCOPE);
    for (let i = 0; i < 3; i++) s.record({ id: String(i), fingerprint: 'f', email: `a${i}@x.example` });
    await s.close();
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(8), 0, 8, 4096); // the first record's length → 0
    closeSync(fd);
    const t = await StateStore.open(file, SCOPE, { readOnly: true });
    try {
      let seen = 0;
      expect(() => {
        for (const _ of t.entries()) if (++seen > 10) throw new Error('looping');
      }).toThrow(/damaged record/);
      expect(seen).toBe(0);
    } finally {
      await t.close();
    }
  });
});

describe('review 10: seen marks in a base file over 4 GiB', () => {
  it('an offset past 2^32 does not mark the record 4 GiB earlier', async () => {
    const { BaseFile } = await import('../src/state/base.js');
    const base = Object.create(BaseFile.prototype) as { markSeen(off: number): void; isSeen(off: number): boolean };
    Object.assign(base, { meta: { recordsEnd: 2 ** 32 + 8192 } });
    base.markSeen(2 ** 32 + 64 + 8);
    expect(base.isSeen(2 ** 32 + 64 + 8)).toBe(true);
    expect(base.isSeen(64 + 8)).toBe(false);
    expect(base.isSeen(2 ** 32 + 64)).toBe(false);
  });
});

describe('review 7: a store write that fails while a row is settled', () => {
  it('stops the run with the store\'s message, once, and does not throw into the send queue', async () => {
    const { StateSink } = await import('../src/sinks/state-sink.js');
    const { StateStoreError } = await import('../src/state/store.js');
    let records = 0;
    const store = {
      record: () => {
        records++;
        throw new StateStoreError('State store /x/y.store could not be written: ENOSPC: no space left on device', { code: 'state_write' });
      },
      markSeen: () => undefined,
      get: () => undefined,
      commit: async () => undefined,
    } as unknown as StateStore;
    const reasons: string[] = [];
    const sink = new StateSink(store, (r) => reasons.push(r));
    const created = (row: number) => ({ kind: 'created' as const, row, values: [], contact: { name: 'A', email: `a${row}@x.example` }, contactId: String(row) });
    expect(() => sink.take(created(1) as never)).not.toThrow();
    expect(() => sink.take(created(2) as never)).not.toThrow();
    expect(records).toBe(2);
    expect(reasons).toEqual(['State store /x/y.store could not be written: ENOSPC: no space left on device']);
    await sink.finish(false).catch(() => undefined);
  });
});

describe('review 9: leftovers of a killed writer', () => {
  it('removes only the temporary files the store makes, never a user\'s FILE.tmp-something', async () => {
    const dir = mkdtempSync(join(root, 'left-'));
    const file = join(dir, 'crm');
    const mine = ['crm.tmp-notes.txt', 'crm-missing.tmp-draft', 'crm.tmp-12x', 'crm-lock.notes'];
    for (const f of mine) writeFileSync(join(dir, f), 'the user\'s own');
    const leftovers = ['crm.tmp-999999999', 'crm-missing.tmp-999999999', 'crm-lock.999999999-0a1b2c3d', 'crm-lock.stale.999999999'];
    for (const f of leftovers) writeFileSync(join(dir, f), '');
    await (await StateStore.open(file, SCOPE)).close();
    const left = readdirSync(dir);
    for (const f of mine) expect(left).toContain(f);
    for (const f of leftovers) expect(left).not.toContain(f);
  });
});

describe('review 11: read-only opens racing a writer', () => {
  it('never report damage, and never read fewer contacts than were committed before they began', { timeout: 30_000 }, async () => {
    const file = join(root, `race-reader-${++n}.store`);
    const w = child(`
let i = 0;
for (;;) {
  const s = await StateStore.open(${JSON.stringify(file)}, ${JSON.stringify(SCOPE)});
  for (let j = 0; j < 20; j++, i++) s.record({ id: String(i), fingerprint: 'f', email: 'e' + i + '@x.example' });
  await s.commit();
  process.stdout.write('committed ' + i + '\\n');
  await s.close();
}`);
    const committed = (): number => Number(/committed (\d+)\n$/.exec(w.out())?.[1] ?? 0);
    await until(() => committed() > 0);
    const problems: string[] = [];
    try {
      for (let k = 0; k < 1500 && problems.length === 0; k++) {
        const before = committed();
        await new Promise((r) => setImmediate(r));
        try {
          const r = await StateStore.open(file, SCOPE, { readOnly: true });
          if (r.count() < before) problems.push(`open ${k}: ${r.count()} contacts, ${before} committed before it began`);
          await r.close();
        } catch (e) {
          problems.push(`open ${k}: ${(e as Error).message}`);
        }
      }
    } finally {
      w.kill();
      await w.done;
    }
    expect(problems).toEqual([]);
  });
});

describe('review 12: commits that overlap a merge', () => {
  it('a merge never closes the log while another commit\'s fdatasync runs on it', async () => {
    const { LogFile } = await import('../src/state/log.js');
    const proto = LogFile.prototype as unknown as { close(): void };
    const close = proto.close;
    let closedBusy = 0;
    proto.close = function (this: { inFlight?: unknown }) {
      if (this.inFlight !== undefined) closedBusy++;
      return close.call(this);
    };
    try {
      const path = fresh();
      const s = await StateStore.open(path, SCOPE, { mergeAfter: 4 });
      let id = 0;
      for (let k = 0; k < 40; k++) {
        for (let j = 0; j < 6; j++, id++) s.record({ id: String(id), fingerprint: 'f', email: `c${id}@x.example` });
        // A second commit started a few microtasks after the first: lands at each point of the first's way to its merge.
        const a = s.commit();
        // Right after the first commit's fdatasync ends, then a few microtasks later.
        const inFlight = (s as unknown as { view: { log: { inFlight?: Promise<void> } } }).view.log.inFlight;
        await inFlight?.catch(() => undefined);
        for (let m = 0; m < k % 10; m++) await Promise.resolve();
        s.record({ id: String(id), fingerprint: 'f', email: `c${id}@x.example` });
        id++;
        await Promise.all([a, s.commit()]);
      }
      await s.close();
      expect(closedBusy).toBe(0);
      const t = await StateStore.open(path, SCOPE, { readOnly: true });
      expect(t.count()).toBe(id);
      await t.close();
    } finally {
      proto.close = close;
    }
  });
});

describe('review (minor): a foreign file among the stores', () => {
  it('is named, and the other stores are still listed', async () => {
    const dir = fresh();
    const s = await StateStore.open(dir, SCOPE);
    s.record({ id: '1', fingerprint: 'f', email: 'a@x.example' });
    await s.close();
    writeFileSync(join(dir, 'aaa-not-ours.store'), 'somebody else\'s file, long enough to be read as a header '.repeat(20));
    const d = await StateStore.describe(dir);
    expect(d).toHaveLength(2);
    expect(d.find((x) => x.file.endsWith('aaa-not-ours.store'))?.problem).toMatch(/not a livedesk-import state store/);
    expect(d.find((x) => x.problem === undefined)).toMatchObject({ inboxId: '1', contacts: 1 });
  });
});

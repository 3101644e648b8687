// The state store (issue 13): look-ups by each key, the case rules, keys that move between
// contacts, scopes, seen/unseen, files and modes, and a kill -9 test. Timings are in
// bench/state-store.mjs, never here.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { StateStore, defaultStatePath, type KnownContact } from '../src/state/store.js';

const root = mkdtempSync('/tmp/state-test-');
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(root, `s${++n}`) + '/';

const SCOPE = { baseUrl: 'https://desk.example.com', apiKey: 'key-1', inboxId: 7 };
const ada: KnownContact = {
  id: '101',
  fingerprint: 'fp-ada',
  identifier: 'CUST-1',
  email: 'Ada@Example.com',
  phone_number: '+14155550101',
};

describe('StateStore: look-ups', () => {
  it('finds a contact by each of its keys, with the email lower-cased', async () => {
    const s = await StateStore.open(fresh(), SCOPE);
    s.record(ada);
    for (const keys of [{ identifier: 'CUST-1' }, { email: 'ada@example.com' }, { phone_number: '+14155550101' }]) {
      const found = Object.values(s.find(keys));
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject({ id: '101', fingerprint: 'fp-ada', email: 'ada@example.com' });
    }
    const all = s.find({ identifier: 'CUST-1', email: 'ADA@EXAMPLE.COM', phone_number: '+14155550101' });
    expect(all.identifier?.id).toBe('101');
    expect(all.email?.id).toBe('101');
    expect(all.phone_number?.id).toBe('101');
    expect(typeof all.identifier?.updatedAt).toBe('number');
    await s.close();
  });

  it('is exact: the identifier is case-sensitive, the phone is exact, blanks find nothing', async () => {
    const s = await StateStore.open(fresh(), SCOPE);
    s.record(ada);
    expect(s.find({ identifier: 'cust-1' })).toEqual({});
    expect(s.find({ phone_number: '14155550101' })).toEqual({});
    expect(s.find({ phone_number: '+1 415 555 0101' })).toEqual({});
    expect(s.find({ email: 'ada@example.co' })).toEqual({});
    expect(s.find({ identifier: '', email: '' })).toEqual({});
    expect(s.find({})).toEqual({});
    await s.close();
  });

  it('answers each key with the contact that holds it, even when they differ', async () => {
    const s = await StateStore.open(fresh(), SCOPE);
    s.record(ada);
    s.record({ id: '102', fingerprint: 'fp-bob', email: 'bob@example.com' });
    const found = s.find({ identifier: 'CUST-1', email: 'bob@example.com', phone_number: '+10000000000' });
    expect(found.identifier?.id).toBe('101');
    expect(found.email?.id).toBe('102');
    expect(found.phone_number).toBeUndefined();
    await s.close();
  });

  it('keeps very long keys exact', async () => {
    const s = await StateStore.open(fresh(), SCOPE);
    const long = 'x'.repeat(3000);
    s.record({ id: '9', fingerprint: 'f', identifier: long });
    await s.commit();
    expect(s.find({ identifier: long }).identifier?.id).toBe('9');
    expect(s.find({ identifier: `${long}y` })).toEqual({});
    await s.close();
  });
});

describe('StateStore: record and forget', () => {
  it('replaces a contact: keys it dropped no longer find it, its new ones do', async () => {
    const s = await StateStore.open(fresh(), SCOPE);
    s.record(ada);
    await s.commit();
    s.record({ id: '101', fingerprint: 'fp-2', email: 'ada@new.example' });
    expect(s.find({ identifier: 'CUST-1', email: 'ada@example.com', phone_number: '+14155550101' })).toEqual({});
    expect(s.find({ email: 'ADA@new.example' }).email).toMatchObject({ id: '101', fingerprint: 'fp-2' });
    expect(s.count()).toBe(1);
    await s.close();
  });

  it('moves a key from contact A to contact B (before and after the commit)', async () => {
    const s = await StateStore.open(fresh(), SCOPE);
    s.record(ada);
    await s.commit();
    s.record({ id: '202', fingerprint: 'fp-b', email: 'ada@example.com' });
    // Not committed yet: the look-up already sees it.
    expect(s.find({ email: 'ada@example.com' }).email?.id).toBe('202');
    expect(s.find({ identifier: 'CUST-1' }).identifier).toMatchObject({ id: '101' });
    expect(s.get('101')?.email).toBeUndefined();
    await s.commit();
    // Committed: the answers now come from the file itself, not from the writes in flight.
    expect((s as unknown as { pendingContacts: Map<string, unknown> }).pendingContacts.size).toBe(0);
    expect(s.find({ email: 'ada@example.com' }).email?.id).toBe('202');
    const a = s.find({ identifier: 'CUST-1', email: 'ada@example.com' });
    expect(a.identifier?.id).toBe('101');
    expect(a.email?.id).toBe('202');
    expect(s.count()).toBe(2);
    await s.close();
  });

  it('forgets a contact (LiveDesk said 404) and its keys', async () => {
    const dir = fresh();
    const s = await StateStore.open(dir, SCOPE);
    s.record(ada);
    s.record({ id: '102', fingerprint: 'fp-bob', email: 'bob@example.com' });
    await s.commit();
    s.forgetContact('101');
    s.forgetContact('999'); // unknown: nothing happens
    expect(s.find({ identifier: 'CUST-1', email: 'ada@example.com' })).toEqual({});
    expect(s.count()).toBe(1);
    await s.close();
    const again = await StateStore.open(dir, SCOPE);
    expect(again.get('101')).toBeUndefined();
    expect([...again.entries()].map((c) => c.id)).toEqual(['102']);
    await again.close();
  });

  it('persists across reopening: contacts, count and last written', async () => {
    const dir = fresh();
    const s = await StateStore.open(dir, SCOPE);
    expect(s.lastWritten()).toBeUndefined();
    for (let i = 0; i < 500; i++) s.record({ id: String(1000 + i), fingerprint: `f${i}`, email: `p${i}@x.example` });
    await s.close();
    const t = await StateStore.open(dir, { ...SCOPE, baseUrl: 'https://DESK.example.com/', inboxId: '7' });
    expect(t.count()).toBe(500);
    expect(t.lastWritten()).toBeInstanceOf(Date);
    expect(t.find({ email: 'P499@x.example' }).email).toMatchObject({ id: '1499', fingerprint: 'f499' });
    expect([...t.entries()]).toHaveLength(500);
    await t.close();
  });
});

describe('StateStore: scopes', () => {
  it('keeps scopes apart in one folder: inbox, account and base URL', async () => {
    const dir = fresh();
    const a = await StateStore.open(dir, SCOPE);
    a.record(ada);
    await a.close();
    for (const other of [
      { ...SCOPE, inboxId: 8 },
      { ...SCOPE, apiKey: 'key-2' },
      { ...SCOPE, baseUrl: 'https://other.example.com' },
    ]) {
      const b = await StateStore.open(dir, other);
      expect(b.count()).toBe(0);
      expect(b.find({ identifier: 'CUST-1' })).toEqual({});
      b.record({ id: '1', fingerprint: 'f' });
      await b.close();
    }
    const described = await StateStore.describe(dir);
    expect(described).toHaveLength(4);
    const mine = described.find((d) => d.inboxId === '7' && d.baseUrl === 'https://desk.example.com' && d.contacts === 1 && d.account.length === 12);
    expect(mine?.lastWritten).toBeInstanceOf(Date);
    // The key is never written, only its hash.
    expect(JSON.stringify(described)).not.toContain('key-1');
    await StateStore.forget(dir, { ...SCOPE, inboxId: 8 });
    expect(await StateStore.describe(dir)).toHaveLength(3);
    const back = await StateStore.open(dir, SCOPE);
    expect(back.count()).toBe(1);
    await back.close();
    await StateStore.forget(dir);
    expect(await StateStore.describe(dir)).toEqual([]);
  });

  it('refuses a store file of another scope, saying whose it is', async () => {
    const file = join(fresh(), 'nightly.lmdb');
    const a = await StateStore.open(file, SCOPE);
    a.record(ada);
    await a.close();
    await expect(StateStore.open(file, { ...SCOPE, inboxId: 9 })).rejects.toThrow(
      /belongs to https:\/\/desk\.example\.com inbox 7 \(account [0-9a-f]{12}\), not to https:\/\/desk\.example\.com inbox 9/,
    );
    await expect(StateStore.open(file, { ...SCOPE, apiKey: 'key-2' })).rejects.toMatchObject({ code: 'state_other_scope' });
    await expect(StateStore.forget(file, { ...SCOPE, inboxId: 9 })).rejects.toThrow(/not removed/);
    const same = await StateStore.open(file, SCOPE);
    expect(same.count()).toBe(1);
    await same.close();
    expect(await StateStore.describe(file)).toMatchObject([{ inboxId: '7', contacts: 1 }]);
  });
});

describe('StateStore: seen and unseen', () => {
  it('counts and lists the contacts not marked in this session', async () => {
    const dir = fresh();
    const s = await StateStore.open(dir, SCOPE);
    for (let i = 1; i <= 6; i++) s.record({ id: String(i), fingerprint: 'f' });
    s.record({ id: 'abc-7', fingerprint: 'f' });
    await s.commit();
    expect(s.unseenCount()).toBe(7);
    for (const id of ['2', '4', '4', 'abc-7', '999']) s.markSeen(id);
    expect(s.unseenCount()).toBe(4);
    s.markSeen('6');
    expect([...s.unseen()].map((c) => c.id).sort()).toEqual(['1', '3', '5']);
    s.record({ id: '8', fingerprint: 'f' }); // not yet committed, not seen
    expect(s.unseenCount()).toBe(4);
    await s.close();
    // Seen marks belong to a session.
    const t = await StateStore.open(dir, SCOPE);
    expect(t.unseenCount()).toBe(8);
    await t.close();
  });
});

describe('StateStore: files', () => {
  it('creates folders 0700 and files 0600 under the default path', async () => {
    const home = join(root, 'xdg');
    const path = defaultStatePath({ XDG_STATE_HOME: home });
    expect(path).toBe(join(home, 'livedesk-import') + '/');
    expect(defaultStatePath({ HOME: '/home/ada' })).toBe('/home/ada/.local/state/livedesk-import/');
    expect(defaultStatePath({ HOME: '/home/ada', XDG_STATE_HOME: 'relative' })).toBe('/home/ada/.local/state/livedesk-import/');
    const s = await StateStore.open(path, SCOPE);
    await s.close();
    expect(statSync(path).mode & 0o777).toBe(0o700);
    const files = readdirSync(path);
    expect(files.some((f) => f.endsWith('.lmdb'))).toBe(true);
    expect(files.some((f) => f.endsWith('.lmdb-lock'))).toBe(true);
    for (const f of files) expect(statSync(join(path, f)).mode & 0o777).toBe(0o600);
  });

  it('makes an existing loose file private, and a --state FILE folder 0700', async () => {
    const dir = join(fresh(), 'deep', 'er');
    const file = join(dir, 'state.db');
    const s = await StateStore.open(file, SCOPE);
    await s.close();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(`${file}-lock`).mode & 0o777).toBe(0o600);
  });

  it('refuses a symbolic link: as the store file, its lock file, or the state folder', async () => {
    const dir = fresh();
    mkdirSync(dir);
    const target = join(dir, 'target');
    writeFileSync(target, '');
    symlinkSync(target, join(dir, 'link.lmdb'));
    await expect(StateStore.open(join(dir, 'link.lmdb'), SCOPE)).rejects.toThrow(/symbolic link/);
    symlinkSync(target, join(dir, 'other.lmdb-lock'));
    await expect(StateStore.open(join(dir, 'other.lmdb'), SCOPE)).rejects.toThrow(/symbolic link/);
    mkdirSync(join(dir, 'real'));
    symlinkSync(join(dir, 'real'), join(dir, 'folder-link'));
    await expect(StateStore.open(join(dir, 'folder-link') + '/', SCOPE)).rejects.toThrow(/symbolic link/);
    await expect(StateStore.describe(join(dir, 'link.lmdb'))).rejects.toThrow(/symbolic link/);
  });

  it('refuses, unchanged, a file that is not a store or was cut short (LMDB would crash on it)', async () => {
    const dir = fresh();
    mkdirSync(dir);
    const junk = join(dir, 'contacts.csv');
    writeFileSync(junk, 'email,name\n'.repeat(1000), { mode: 0o644 });
    await expect(StateStore.open(junk, SCOPE)).rejects.toMatchObject({ code: 'state_damaged' });
    expect(statSync(junk).mode & 0o777).toBe(0o644);
    await expect(StateStore.describe(junk)).rejects.toThrow(/not a livedesk-import state store/);

    const good = join(dir, 'good.lmdb');
    const s = await StateStore.open(good, SCOPE);
    for (let i = 0; i < 2000; i++) s.record({ id: String(i), fingerprint: 'f', email: `p${i}@x.example` });
    await s.close();
    const cut = join(dir, 'cut.lmdb');
    writeFileSync(cut, readFileSync(good).subarray(0, 3 * 4096));
    await expect(StateStore.open(cut, SCOPE)).rejects.toThrow(/damaged \(cut short/);
  });
});

// ── kill -9 ───────────────────────────────────────────────────────────────────────────────────
// A child records contacts in a loop (every 7th step an older contact takes over another's email), and
// prints a line after each commit() returned. We kill it at a random moment, reopen: every
// contact whose commit returned is there, and every key finds the contact that holds it.
const CHILD = `
import { StateStore } from './store.mjs';
const [path, start] = [process.argv[2], Number(process.argv[3])];
const scope = ${JSON.stringify(SCOPE)};
const s = await StateStore.open(path, scope);
process.stdout.write('open\\n');
for (let i = start; ; ) {
  for (let j = 0; j < 50; j++, i++) {
    s.record({ id: String(i), fingerprint: 'f' + i, identifier: 'c' + i, email: 'e' + i + '@x.example', phone_number: '+1' + (5550000000 + i) });
    if (i % 7 === 0 && i > 10) {
      const k = i - 5; // takes over the email of contact k - 1
      s.record({ id: String(k), fingerprint: 'g' + i, identifier: 'c' + k, email: 'e' + (k - 1) + '@x.example', phone_number: '+1' + (5550000000 + k) });
    }
  }
  await s.commit();
  process.stdout.write('committed ' + (i - 1) + '\\n');
}
`;

describe('StateStore: kill -9', () => {
  it('keeps every committed contact and opens cleanly after each kill', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync('/tmp/state-crash-');
    try {
      const { build } = await import('esbuild');
      await build({
        entryPoints: [join(import.meta.dirname, '../src/state/store.ts')],
        bundle: true,
        format: 'esm',
        platform: 'node',
        target: 'node20',
        outfile: join(dir, 'store.mjs'),
        external: ['lmdb'],
        logLevel: 'warning',
        define: { 'import.meta.url': JSON.stringify(pathToFileURL(join(import.meta.dirname, '../src/state/store.ts')).href) },
      });
      writeFileSync(join(dir, 'child.mjs'), CHILD);
      const path = join(dir, 'state') + '/';
      let next = 0;
      for (let round = 0; round < 4; round++) {
        const lastCommitted = await runAndKill(dir, path, next, 30 + Math.random() * 400);
        const s = await StateStore.open(path, SCOPE);
        try {
          expect(lastCommitted).toBeGreaterThanOrEqual(next);
          for (let i = 0; i <= lastCommitted; i++) {
            const c = s.get(String(i));
            expect(c, `contact ${i} (committed up to ${lastCommitted})`).toBeDefined();
            expect(s.find({ identifier: `c${i}` }).identifier?.id).toBe(String(i));
          }
          let seen = 0;
          for (const c of s.entries()) {
            seen++;
            for (const kind of ['identifier', 'email', 'phone_number'] as const) {
              const v = c[kind];
              if (v !== undefined) expect(s.find({ [kind]: v })[kind]?.id).toBe(c.id);
            }
          }
          expect(seen).toBe(s.count());
          next = s.count();
          if (process.env.STATE_CRASH_DEBUG) console.log(`round ${round}: committed up to ${lastCommitted}, store has ${next}`);
        } finally {
          await s.close();
        }
      }
      expect(next).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Starts the child at contact `start`, kills it -9 `afterMs` after it opened the store; the last ID it said was committed. */
function runAndKill(dir: string, path: string, start: number, afterMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(dir, 'child.mjs'), path, String(start)], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (timer === undefined && out.includes('open\n')) timer = setTimeout(() => child.kill('SIGKILL'), afterMs);
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`child ended by itself (${code}): ${err}`));
      const lines = out.split('\n').filter((l) => l.startsWith('committed '));
      resolve(lines.length === 0 ? start - 1 : Number(lines.at(-1)!.slice('committed '.length)));
    });
  });
}

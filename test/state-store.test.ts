// The state store (issue 13): look-ups by each key, the case rules, keys that move between
// contacts, scopes, seen/unseen and the missing list, files, modes and the lock, the log (a torn
// tail, a log already merged), merges on the way, stores of the old LMDB format, and a kill -9 test. Timings are in
// bench/state-store.mjs, never here.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, copyFileSync, existsSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SeenSet } from '../src/state/seen.js';
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
    const file = join(fresh(), 'nightly.store');
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

describe('StateStore: seen marks of contacts read from the base file', () => {
  it('are kept by place, survive an update of the contact and a merge on the way, and the missing list agrees', async () => {
    const dir = fresh();
    const s = await StateStore.open(dir, SCOPE);
    for (let i = 0; i < 300; i++) s.record({ id: String(i), fingerprint: 'f', identifier: `c${i}` });
    await s.close();
    const t = await StateStore.open(dir, SCOPE, { mergeAfter: 50 });
    // A rerun: each row's look-up, then its outcome, mark the contact.
    for (let i = 0; i < 200; i++) {
      const c = t.find({ identifier: `c${i}` }).identifier!;
      t.markSeen(c.id);
      t.markSeen(c.id);
    }
    expect((t as unknown as { seen: { n: number } }).seen.n).toBe(0); // all by place, none by ID
    expect(t.unseenCount()).toBe(100);
    t.record({ id: '5', fingerprint: 'g', identifier: 'c5' }); // updated tonight: still seen
    expect(t.unseenCount()).toBe(100);
    for (let i = 300; i < 340; i++) {
      t.record({ id: String(i), fingerprint: 'f', identifier: `c${i}` });
      t.markSeen(String(i));
    }
    await t.commit(); // past mergeAfter: a merge, which carries the marks over by ID
    expect(readdirSync(dir).some((f) => f.endsWith('-log'))).toBe(true);
    expect(t.unseenCount()).toBe(100);
    expect(await t.saveMissing()).toBe(100);
    expect([...t.unseen()].map((c) => Number(c.id)).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, k) => 200 + k));
    await t.close();
  });
});

describe('SeenSet', () => {
  it('keeps one mark a contact however often and in whatever order it is marked', () => {
    const seen = new SeenSet();
    for (let round = 0; round < 3; round++) for (let i = 0; i < 5000; i++) seen.add(String(((i * 7919) % 5000) * 7));
    seen.add('abc');
    for (let i = 0; i < 5000; i++) {
      expect(seen.has(String(i * 7))).toBe(true);
      expect(seen.has(String(i * 7 + 1))).toBe(false);
    }
    expect(seen.has('abc')).toBe(true);
    // 15,000 marks of 5,000 contacts: the repeats were dropped before the array grew past 8,192.
    expect((seen as unknown as { nums: Float64Array }).nums.length).toBeLessThanOrEqual(8192);
  });
});

describe('StateStore: files', () => {
  it('creates folders 0700 and files 0600 under the default path; a closed store is one file', async () => {
    const home = join(root, 'xdg');
    const path = defaultStatePath({ XDG_STATE_HOME: home });
    expect(path).toBe(join(home, 'livedesk-import') + '/');
    expect(defaultStatePath({ HOME: '/home/ada' })).toBe('/home/ada/.local/state/livedesk-import/');
    expect(defaultStatePath({ HOME: '/home/ada', XDG_STATE_HOME: 'relative' })).toBe('/home/ada/.local/state/livedesk-import/');
    const s = await StateStore.open(path, SCOPE);
    s.record(ada);
    await s.commit();
    // Open: the base file, the log of tonight's answers, the writer's lock.
    const open = readdirSync(path);
    for (const suffix of ['.store', '.store-log', '.store-lock']) expect(open.some((f) => f.endsWith(suffix)), suffix).toBe(true);
    for (const f of open) expect(statSync(join(path, f)).mode & 0o777).toBe(0o600);
    await s.close();
    expect(statSync(path).mode & 0o777).toBe(0o700);
    // Closed: the log merged into the base, the lock released.
    const files = readdirSync(path);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^desk\.example\.com-inbox-7-[0-9a-f]{16}\.store$/);
    expect(statSync(join(path, files[0]!)).mode & 0o777).toBe(0o600);
  });

  it('tightens an existing state folder to 0700, makes a loose store file private, and a --state FILE folder 0700', async () => {
    const loose = fresh();
    mkdirSync(loose, { mode: 0o755 });
    chmodSync(loose, 0o755);
    const s0 = await StateStore.open(loose, SCOPE);
    await s0.close();
    expect(statSync(loose).mode & 0o777).toBe(0o700);

    const dir = join(fresh(), 'deep', 'er');
    const file = join(dir, 'state.db');
    const s = await StateStore.open(file, SCOPE);
    s.record(ada);
    await s.close();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    chmodSync(file, 0o644);
    const t = await StateStore.open(file, SCOPE);
    expect(t.count()).toBe(1);
    await t.close();
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('read-only (a dry run, state export): creates nothing, and a missing store reads as empty', async () => {
    const dir = fresh();
    const r = await StateStore.open(dir, SCOPE, { readOnly: true });
    expect(r.exists).toBe(false);
    expect(r.count()).toBe(0);
    expect(r.find({ identifier: 'CUST-1' })).toEqual({});
    expect(() => r.record(ada)).toThrow(/read-only/);
    await r.close();
    expect(existsSync(dir)).toBe(false);
  });

  it('one writer at a time: a second writer is refused (state_busy), a reader is not; a dead writer\'s lock is taken over', async () => {
    const dir = fresh();
    const w = await StateStore.open(dir, SCOPE);
    w.record(ada);
    await w.commit();
    await expect(StateStore.open(dir, SCOPE)).rejects.toMatchObject({ code: 'state_busy' });
    const r = await StateStore.open(dir, SCOPE, { readOnly: true });
    expect(r.find({ email: 'ada@example.com' }).email?.id).toBe('101');
    await r.close();
    await w.close();
    // A lock left by a process that is gone (kill -9): taken over.
    const [name] = readdirSync(dir);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(join(dir, `${name}-lock`), `${dead}\n`, { mode: 0o600 });
    const again = await StateStore.open(dir, SCOPE);
    expect(again.count()).toBe(1);
    await again.close();
  });

  it('refuses a symbolic link: as the store file, its lock file, or the state folder', async () => {
    const dir = fresh();
    mkdirSync(dir);
    const target = join(dir, 'target');
    writeFileSync(target, '');
    symlinkSync(target, join(dir, 'link.store'));
    await expect(StateStore.open(join(dir, 'link.store'), SCOPE)).rejects.toThrow(/symbolic link/);
    symlinkSync(target, join(dir, 'other.store-lock'));
    await expect(StateStore.open(join(dir, 'other.store'), SCOPE)).rejects.toThrow(/symbolic link/);
    mkdirSync(join(dir, 'real'));
    symlinkSync(join(dir, 'real'), join(dir, 'folder-link'));
    await expect(StateStore.open(join(dir, 'folder-link') + '/', SCOPE)).rejects.toThrow(/symbolic link/);
    await expect(StateStore.describe(join(dir, 'link.store'))).rejects.toThrow(/symbolic link/);
  });

  it('refuses, unchanged, a file that is not a store or was cut short', async () => {
    const dir = fresh();
    mkdirSync(dir);
    const junk = join(dir, 'contacts.csv');
    writeFileSync(junk, 'email,name\n'.repeat(1000), { mode: 0o644 });
    await expect(StateStore.open(junk, SCOPE)).rejects.toMatchObject({ code: 'state_damaged' });
    expect(statSync(junk).mode & 0o777).toBe(0o644);
    await expect(StateStore.describe(junk)).rejects.toThrow(/not a livedesk-import state store/);

    const good = join(dir, 'good.store');
    const s = await StateStore.open(good, SCOPE);
    for (let i = 0; i < 2000; i++) s.record({ id: String(i), fingerprint: 'f', email: `p${i}@x.example` });
    await s.close();
    const cut = join(dir, 'cut.store');
    writeFileSync(cut, readFileSync(good).subarray(0, 3 * 4096));
    await expect(StateStore.open(cut, SCOPE)).rejects.toThrow(/damaged \(cut short/);
  });
});

describe('StateStore: the log and the merges', () => {
  /** A store's files copied elsewhere mid-run (as a crash would leave them), without the lock. */
  function copyStore(from: string, to: string): void {
    mkdirSync(to, { recursive: true });
    for (const f of readdirSync(from)) if (!f.endsWith('-lock')) copyFileSync(join(from, f), join(to, f));
  }
  const logOf = (dir: string): string => join(dir, readdirSync(dir).find((f) => f.endsWith('.store-log'))!);

  it('replays the log at open and ignores a torn last entry', async () => {
    const dir = fresh();
    const s = await StateStore.open(dir, SCOPE);
    s.record(ada);
    await s.close(); // ada in the base
    const t = await StateStore.open(dir, SCOPE);
    for (let i = 0; i < 50; i++) t.record({ id: String(500 + i), fingerprint: `f${i}`, email: `p${i}@x.example` });
    t.record({ id: '102', fingerprint: 'fp-b', email: 'ada@example.com' }); // takes ada's email
    await t.commit();
    const crashed = fresh();
    copyStore(dir, crashed);
    await t.close();
    // A kill -9 in the middle of writing an entry: its length says more than is there.
    appendFileSync(logOf(crashed), Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 5, 6]));
    const u = await StateStore.open(crashed, SCOPE);
    expect(u.count()).toBe(52);
    expect(u.find({ email: 'P49@x.example' }).email?.id).toBe('549');
    expect(u.find({ email: 'ada@example.com' }).email?.id).toBe('102');
    expect(u.get('101')).toMatchObject({ identifier: 'CUST-1', fingerprint: 'fp-ada' });
    expect(u.get('101')?.email).toBeUndefined();
    // Writing goes on after the cut: the next entry is not lost behind the torn one.
    u.record({ id: '900', fingerprint: 'f', identifier: 'after-the-cut' });
    await u.commit();
    const again = fresh();
    copyStore(crashed, again);
    await u.close();
    const v = await StateStore.open(again, SCOPE);
    expect(v.find({ identifier: 'after-the-cut' }).identifier?.id).toBe('900');
    expect(v.count()).toBe(53);
    await v.close();
  });

  it('a log cut short in its header (killed right after creating it) is dropped; one that is not a log is refused', async () => {
    const dir = fresh();
    const s = await StateStore.open(dir, SCOPE);
    s.record(ada);
    await s.close();
    const [name] = readdirSync(dir);
    writeFileSync(join(dir, `${name}-log`), 'LDISTLOG\u0002\u0000', { mode: 0o600 });
    const t = await StateStore.open(dir, SCOPE);
    expect(t.count()).toBe(1);
    await t.close();
    writeFileSync(join(dir, `${name}-log`), 'not a log at all', { mode: 0o600 });
    await expect(StateStore.open(dir, SCOPE)).rejects.toMatchObject({ code: 'state_damaged' });
  });

  it('a log the last merge took in already (a crash between the rename and its removal) is dropped, not applied twice', async () => {
    const dir = fresh();
    const s = await StateStore.open(dir, SCOPE);
    s.record(ada);
    s.record({ id: '102', fingerprint: 'fp-b', email: 'bob@example.com' });
    await s.commit();
    const log = readFileSync(logOf(dir));
    const logName = logOf(dir);
    await s.close();
    expect(existsSync(logName)).toBe(false);
    writeFileSync(logName, log, { mode: 0o600 });
    const t = await StateStore.open(dir, SCOPE);
    expect(t.count()).toBe(2);
    expect([...t.entries()].map((c) => c.id).sort()).toEqual(['101', '102']);
    await t.close();
    expect(readdirSync(dir).filter((f) => f.endsWith('-log'))).toEqual([]);
  });

  it('merges on the way once the log grows: every answer stays exact across the merges', async () => {
    const dir = fresh();
    const s = await StateStore.open(dir, SCOPE, { mergeAfter: 200 });
    for (let i = 0; i < 1000; i++) {
      s.record({ id: String(i), fingerprint: `f${i}`, identifier: `c${i}`, email: `e${i}@x.example` });
      // Every 10th contact takes the email of the one before it; every 50th is forgotten.
      if (i % 10 === 9) s.record({ id: String(i), fingerprint: `g${i}`, identifier: `c${i}`, email: `e${i - 1}@x.example` });
      if (i % 50 === 49) s.forgetContact(String(i - 20));
      if (i % 25 === 0) await s.commit();
    }
    await s.commit();
    const check = (t: StateStore): void => {
      expect(t.count()).toBe(980);
      for (let i = 0; i < 1000; i++) {
        const gone = i % 50 === 29;
        const c = t.find({ identifier: `c${i}` }).identifier;
        if (gone) {
          expect(c, `contact ${i}`).toBeUndefined();
          continue;
        }
        expect(c?.id).toBe(String(i));
        const ownEmail = i % 10 === 9 ? `e${i - 1}@x.example` : i % 10 === 8 ? undefined : `e${i}@x.example`;
        expect(c?.email, `contact ${i}`).toBe(ownEmail);
        if (ownEmail) expect(t.find({ email: ownEmail }).email?.id).toBe(String(i));
      }
      expect([...t.entries()]).toHaveLength(980);
    };
    check(s);
    await s.close();
    const t = await StateStore.open(dir, SCOPE);
    check(t);
    await t.close();
  });
});

describe('StateStore: the contacts the last complete run no longer had', () => {
  it('saveMissing() keeps the list; missing() reads it back after reopening, without contacts forgotten since', async () => {
    const dir = fresh();
    const s = await StateStore.open(dir, SCOPE);
    for (let i = 1; i <= 6; i++) s.record({ id: String(i), fingerprint: 'f', email: `m${i}@x.example` });
    for (const id of ['1', '3', '5']) s.markSeen(id);
    expect(await s.saveMissing()).toBe(3);
    await s.close();
    const t = await StateStore.open(dir, SCOPE);
    t.forgetContact('6');
    const m = t.missing();
    expect(m.head?.count).toBe(3);
    const listed: string[] = [];
    for await (const c of m.contacts) listed.push(`${c.id} ${c.email}`);
    expect(listed.sort()).toEqual(['2 m2@x.example', '4 m4@x.example']);
    await t.close();
    const [d] = await StateStore.describe(dir);
    expect(d?.lastComplete?.missing).toBe(3);
  });
});

describe('StateStore: stores of the earlier LMDB format', () => {
  it('are not read: named by --state they are refused unchanged, saying what to do; state forget removes them', async () => {
    const dir = fresh();
    mkdirSync(dir);
    const old = join(dir, 'desk.example.com-inbox-7-0123456789abcdef.lmdb');
    const page = Buffer.alloc(8192);
    page.writeUInt32LE(0xbeefc0de, 0x18);
    writeFileSync(old, page, { mode: 0o644 });
    writeFileSync(`${old}-lock`, Buffer.alloc(64));
    await expect(StateStore.open(old, SCOPE)).rejects.toThrow(/earlier livedesk-import \(LMDB format\).*Remove it/);
    expect(statSync(old).mode & 0o777).toBe(0o644);
    // In the state folder it is simply not this version's store: a new one starts beside it.
    const s = await StateStore.open(dir, SCOPE);
    expect(s.count()).toBe(0);
    await s.close();
    await StateStore.forget(dir);
    expect(readdirSync(dir)).toEqual([]);
  });
});

// ── kill -9 ───────────────────────────────────────────────────────────────────────────────────
// A child records contacts in a loop (every 7th step an older contact takes over another's email), and
// prints a line after each commit() returned; every other round it merges every few commits and
// closes and reopens the store every 10, so kills land in appends, merges and opens. We kill it at
// a random moment, reopen: every contact whose commit returned is there, and every key finds the
// contact that holds it.
const CHILD = `
import { StateStore } from './store.mjs';
const [path, start, mode] = [process.argv[2], Number(process.argv[3]), process.argv[4]];
const scope = ${JSON.stringify(SCOPE)};
// 'merge': the log is merged into a new base every few commits (and the store closed and reopened
// every 10), so the kill also lands inside merges; 'log': appends only.
const options = mode === 'merge' ? { mergeAfter: 400 } : {};
let s = await StateStore.open(path, scope, options);
process.stdout.write('open\\n');
for (let i = start, round = 1; ; round++) {
  for (let j = 0; j < 50; j++, i++) {
    s.record({ id: String(i), fingerprint: 'f' + i, identifier: 'c' + i, email: 'e' + i + '@x.example', phone_number: '+1' + (5550000000 + i) });
    if (i % 7 === 0 && i > 10) {
      const k = i - 5; // takes over the email of contact k - 1
      s.record({ id: String(k), fingerprint: 'g' + i, identifier: 'c' + k, email: 'e' + (k - 1) + '@x.example', phone_number: '+1' + (5550000000 + k) });
    }
  }
  if (mode === 'merge' && round % 10 === 0) {
    await s.close();
    s = await StateStore.open(path, scope, options);
  } else await s.commit();
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
        logLevel: 'warning',
        define: { 'import.meta.url': JSON.stringify(pathToFileURL(join(import.meta.dirname, '../src/state/store.ts')).href) },
      });
      writeFileSync(join(dir, 'child.mjs'), CHILD);
      const path = join(dir, 'state') + '/';
      let next = 0;
      for (let round = 0; round < 6; round++) {
        const mode = round % 2 === 0 ? 'log' : 'merge';
        const lastCommitted = await runAndKill(dir, path, next, Math.random() * 400, mode);
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
          // A merge the kill interrupted left its temporary file: the next writer removed it.
          expect(readdirSync(path).filter((f) => f.includes('.tmp-'))).toEqual([]);
          next = s.count();
          if (process.env.STATE_CRASH_DEBUG) console.log(`round ${round} (${mode}): committed up to ${lastCommitted}, store has ${next}`);
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

/** Starts the child at contact `start`, kills it -9 `afterMs` after its first commit; the last ID it said was committed. */
function runAndKill(dir: string, path: string, start: number, afterMs: number, mode: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(dir, 'child.mjs'), path, String(start), mode], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      // From its first commit on (a loaded machine can take longer than the delay to get there).
      if (timer === undefined && out.includes('committed ')) timer = setTimeout(() => child.kill('SIGKILL'), afterMs);
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

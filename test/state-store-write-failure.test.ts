// The state store when the disk refuses a write (a full disk): the call that hit it, and every
// later record() and commit(), throw StateStoreError `state_write`; what was committed before is
// intact. node:fs's writeSync is wrapped to fail on demand (ENOSPC), as a full disk would.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

const disk = vi.hoisted(() => ({ full: false, refuseOpen: undefined as RegExp | undefined }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const writeSync = ((...args: Parameters<typeof fs.writeSync>) => {
    if (disk.full) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    return (fs.writeSync as (...a: unknown[]) => number)(...args);
  }) as typeof fs.writeSync;
  // A file that cannot be opened (EACCES, EMFILE): what a merge meets after its rename.
  const openSync = ((...args: Parameters<typeof fs.openSync>) => {
    if (disk.refuseOpen?.test(String(args[0]))) throw Object.assign(new Error(`EACCES: permission denied, open '${String(args[0])}'`), { code: 'EACCES' });
    return (fs.openSync as (...a: unknown[]) => number)(...args);
  }) as typeof fs.openSync;
  return { ...fs, writeSync, openSync, default: { ...fs, writeSync, openSync } };
});

const { StateStore, StateStoreError } = await import('../src/state/store.js');

const root = mkdtempSync('/tmp/state-full-');
afterAll(() => rmSync(root, { recursive: true, force: true }));
const SCOPE = { baseUrl: 'https://desk.example.com', apiKey: 'key-1', inboxId: 7 };

describe('StateStore: a full disk', () => {
  it('throws state_write on commit, then on every record() and commit(); what was committed before stays', async () => {
    const dir = join(root, 'a') + '/';
    const s = await StateStore.open(dir, SCOPE);
    s.record({ id: '1', fingerprint: 'f', email: 'kept@x.example' });
    await s.commit();
    s.record({ id: '2', fingerprint: 'f', email: 'lost@x.example' });
    disk.full = true;
    await expect(s.commit()).rejects.toMatchObject({ code: 'state_write' });
    disk.full = false;
    expect(() => s.record({ id: '3', fingerprint: 'f' })).toThrow(expect.objectContaining({ code: 'state_write' }));
    await expect(s.commit()).rejects.toMatchObject({ code: 'state_write' });
    await expect(s.close()).rejects.toMatchObject({ code: 'state_write' });
    const t = await StateStore.open(dir, SCOPE);
    expect(t.find({ email: 'kept@x.example' }).email?.id).toBe('1');
    expect(t.find({ email: 'lost@x.example' })).toEqual({});
    await t.close();
  });

  it('a merge that cannot be written leaves the base and the log as they were', async () => {
    const dir = join(root, 'b') + '/';
    const s = await StateStore.open(dir, SCOPE);
    for (let i = 0; i < 20; i++) s.record({ id: String(i), fingerprint: 'f', email: `p${i}@x.example` });
    await s.commit();
    disk.full = true;
    await expect(s.close()).rejects.toMatchObject({ code: 'state_write' });
    disk.full = false;
    const t = await StateStore.open(dir, SCOPE);
    expect(t.count()).toBe(20);
    expect(t.find({ email: 'p19@x.example' }).email?.id).toBe('19');
    await t.close();
  });

  it('a merge whose new files cannot be opened fails that commit and every later one (review 6)', async () => {
    for (const refuse of [/\.store$/, /\.store-log$/]) {
      const dir = join(root, `c${String(refuse).length}${Math.random()}`) + '/';
      const s = await StateStore.open(dir, SCOPE, { mergeAfter: 5 });
      s.record({ id: '0', fingerprint: 'f', email: 'p0@x.example' });
      await s.commit();
      for (let i = 1; i < 10; i++) s.record({ id: String(i), fingerprint: 'f', email: `p${i}@x.example` });
      disk.refuseOpen = refuse;
      try {
        await expect(s.commit(), String(refuse)).rejects.toBeInstanceOf(StateStoreError);
      } finally {
        disk.refuseOpen = undefined;
      }
      // Never a silent success afterwards, nor a "read-only" error.
      await expect(s.commit()).rejects.toBeInstanceOf(StateStoreError);
      expect(() => s.record({ id: '99', fingerprint: 'f' })).toThrow(StateStoreError);
      // Still readable: what the store holds.
      expect(s.find({ email: 'p9@x.example' }).email?.id).toBe('9');
      await expect(s.close()).rejects.toBeInstanceOf(StateStoreError);
      const t = await StateStore.open(dir, SCOPE);
      expect(t.count()).toBe(10);
      await t.close();
    }
  });
});

// The state store: what LiveDesk holds from us, per base URL + account + inbox (issue 13).
//
// A file format of our own (docs/state-store.md says why, with the measurement): an immutable base
// file sorted by key hash, read with pread, and a log of the answers since, appended and replayed
// at open; the two are merged into a new base at close (and on the way, past a size). Look-ups
// read the log's tables first (what was answered last), then the base; every hit is checked
// against the record's own text, so hashes never make an answer wrong.
//
// Only LiveDesk's answers go in (the caller's job); a kill -9 leaves the log with whole entries
// (a torn last one is ignored) and the base as it was or as merged: behind, never ahead, never corrupt.
import type { BaseFile } from './base.js';
import { rmSync } from 'node:fs';
import { StateStoreError, cannotOpen, logFileOf } from './files.js';
import {
  KINDS,
  KIND_NO,
  TYPE_FORGET,
  TYPE_RECORD,
  decode,
  decodeId,
  encode,
  normalizeKey,
  recType,
  toContact,
  wellFormed,
  type ContactKeys,
  type FoundContacts,
  type KnownContact,
  type Rec,
} from './format.js';
import type { LogFile } from './log.js';
import { describeStores, forgetStores, type StoreDescription } from './manage.js';
import { writeBase } from './merge.js';
import { missingContacts, readMissingHead, writeMissing, type MissingHead } from './missing.js';
import { createLog, newToken, openBase, openFiles } from './open.js';
import { scopeRecord, type ScopeRecord, type StoreScope } from './scope.js';
import { SeenSet } from './seen.js';
import { StoreView } from './view.js';

export { defaultStatePath, type StoreScope } from './scope.js';
export { StateStoreError } from './files.js';
export type { ContactKeys, FoundContacts, KeyKind, KnownContact } from './format.js';
export type { StoreDescription } from './manage.js';

/** How many of the latest look-ups `markSeen` recognises by their place in the base file. */
const RECENT = 16;
/** Past this many entries in the log's tables (16 MB of slots), a commit merges. */
const MERGE_ENTRIES = 1_200_000;
/** …or past this many bytes of log (its offsets are 32-bit). */
const MERGE_BYTES = 512 << 20;

export interface OpenOptions {
  /** Read without writing anything, nor creating or locking anything (dry runs, `state export`). */
  readOnly?: boolean;
  /** Merge at a commit once the log's tables hold this many entries (default 1.2M; tests use less). */
  mergeAfter?: number;
}

export class StateStore {
  private readonly seen = new SeenSet();
  /** The last contacts `find()` read from the base file, and their records' places (for `markSeen`). */
  private readonly recentIds: string[] = new Array<string>(RECENT).fill('');
  private readonly recentOffs = new Float64Array(RECENT);
  private recentAt = 0;
  private readonly view: StoreView;
  private known: number;
  private lastWrittenAt: number | undefined;
  private failure: unknown;
  private closed = false;

  private constructor(
    /** The base file of this scope. */
    readonly file: string,
    readonly scope: ScopeRecord,
    base: BaseFile | undefined,
    log: LogFile | undefined,
    private readonly readOnly: boolean,
    private readonly release: () => void,
    private readonly mergeAfter: number,
  ) {
    this.view = new StoreView(base, log);
    this.known = base?.meta.contacts ?? 0;
    this.lastWrittenAt = base?.meta.lastWritten;
    log?.replay((buf, at, off) => {
      const id = decodeId(buf, at);
      const had = this.view.current(id) !== undefined;
      const rec = recType(buf, at) === TYPE_RECORD;
      this.view.apply(buf, at, off);
      if (rec && !had) this.known++;
      if (!rec && had) this.known--;
      const t = buf.readDoubleLE(at + 8);
      if (this.lastWrittenAt === undefined || t > this.lastWrittenAt) this.lastWrittenAt = t;
    });
  }

  /**
   * Opens (or creates) the store of `scope` at `path`: a folder (one store per scope inside) or a
   * file of its own. Folders are created 0700, files 0600; a symbolic link is refused, and so is a
   * file that is not a store or holds another scope. Read-only: nothing is created (no store: empty).
   */
  static open(path: string, scope: StoreScope, options: OpenOptions = {}): Promise<StateStore> {
    return StateStore.openScope(path, scopeRecord(scope), options);
  }

  /** The same, for a scope as stored (its account already a hash). */
  static async openScope(path: string, rec: ScopeRecord, options: OpenOptions = {}): Promise<StateStore> {
    const readOnly = options.readOnly === true;
    let f: Awaited<ReturnType<typeof openFiles>>;
    try {
      f = await openFiles(path, rec, !readOnly);
    } catch (error) {
      throw cannotOpen(path, error);
    }
    try {
      return new StateStore(f.file, rec, f.base, f.log, readOnly, f.release, options.mergeAfter ?? MERGE_ENTRIES);
    } catch (error) {
      f.base?.close();
      f.log?.close();
      f.release();
      throw cannotOpen(f.file, error);
    }
  }

  /**
   * The contacts holding each of these keys (identifier exact, email case-insensitive, phone
   * exact). The store keeps each key on one contact only (`record()` moves it), so a key the first
   * contact found also holds is answered without another look-up.
   */
  find(keys: ContactKeys): FoundContacts {
    this.assertOpen();
    const out: FoundContacts = {};
    let r1: Rec | undefined;
    let c1: KnownContact | undefined;
    let r2: Rec | undefined;
    let c2: KnownContact | undefined;
    for (const kind of KINDS) {
      const raw = keys[kind];
      if (raw === undefined || raw === '') continue;
      const value = normalizeKey(kind, raw);
      const k = KIND_NO[kind];
      if (r1 !== undefined && r1.keys[k] === value) {
        out[kind] = c1;
        continue;
      }
      if (r2 !== undefined && r2.keys[k] === value) {
        out[kind] = c2;
        continue;
      }
      const r = this.view.holder(k, value);
      if (r === undefined) continue;
      if (r.off >= 0) {
        this.recentAt = (this.recentAt + 1) % RECENT;
        this.recentIds[this.recentAt] = r.id;
        this.recentOffs[this.recentAt] = r.off;
      }
      const c = toContact(r);
      out[kind] = c;
      if (r1 === undefined) [r1, c1] = [r, c];
      else [r2, c2] = [r, c];
    }
    return out;
  }

  /** A contact by its LiveDesk ID. */
  get(id: string): KnownContact | undefined {
    this.assertOpen();
    const r = this.view.current(wellFormed(String(id)));
    return r === undefined ? undefined : toContact(r);
  }

  /**
   * What LiveDesk answered for a contact (created/found/updated): replaces its record; a key
   * another contact held moves to this one (that contact's record loses it, in the same log entry).
   * Durable at the next `commit()`.
   */
  record(c: KnownContact): void {
    const id = wellFormed(String(c.id));
    if (id === '') throw new TypeError('state store: record() needs a contact ID');
    if (typeof c.fingerprint !== 'string') throw new TypeError('state store: record() needs a fingerprint');
    const log = this.beginWrite();
    const now = Date.now();
    const key = (v: string | undefined, kind: 'identifier' | 'email' | 'phone_number'): string | null =>
      v === undefined || v === '' ? null : normalizeKey(kind, v);
    const next: Rec['keys'] = [id, key(c.identifier, 'identifier'), key(c.email, 'email'), key(c.phone_number, 'phone_number')];
    const had = this.view.current(id) !== undefined;
    // LiveDesk keeps keys unique: a contact that held one of these no longer does.
    const losers = new Map<string, Rec>();
    for (let k = 1; k <= 3; k++) {
      const v = next[k];
      if (v === null || v === undefined) continue;
      const holder = this.view.holder(k, v);
      if (holder === undefined || holder.id === id) continue;
      const loser = losers.get(holder.id) ?? holder;
      loser.keys[k] = null;
      losers.set(holder.id, loser);
    }
    try {
      log.begin();
      for (const l of losers.values()) this.append(log, TYPE_RECORD, now, l.id, l.fingerprint, l.keys);
      this.append(log, TYPE_RECORD, now, id, wellFormed(c.fingerprint), next);
      log.finish();
    } catch (error) {
      throw this.writeFailed(error);
    }
    if (!had) this.known++;
    this.lastWrittenAt = now;
  }

  /** LiveDesk said 404: the contact is gone. */
  forgetContact(id: string): void {
    id = wellFormed(String(id));
    if (this.view.current(id) === undefined) return;
    const log = this.beginWrite();
    const now = Date.now();
    try {
      log.begin();
      this.append(log, TYPE_FORGET, now, id, '', [id, null, null, null]);
      log.finish();
    } catch (error) {
      throw this.writeFailed(error);
    }
    this.known--;
    this.lastWrittenAt = now;
  }

  /**
   * Marks a contact as present in tonight's file (this session only; `saveMissing()` keeps the
   * rest). A contact `find()` just read from the base file is marked by its record's place there
   * (a bit); any other goes into the seen set by ID.
   */
  markSeen(id: string): void {
    id = String(id);
    const base = this.view.base;
    if (base !== undefined) {
      // Newest first: a row's outcome comes right after its look-up.
      for (let k = 0, i = this.recentAt; k < RECENT; k++, i = (i + RECENT - 1) % RECENT) {
        if (this.recentIds[i] === id) return base.markSeen(this.recentOffs[i]!);
      }
    }
    this.seen.add(id);
  }

  /** How many of the scope's contacts were not marked seen in this session. */
  unseenCount(): number {
    let n = 0;
    for (const _ of this.unseenIds()) n++;
    return n;
  }

  *unseen(): Iterable<KnownContact> {
    this.assertOpen();
    for (const r of this.view.records()) if (!this.isSeen(r)) yield toContact(decode(r.buf, r.at));
  }

  /**
   * After a run that read its whole file: keeps the list of the contacts it did not mark seen (the
   * contacts that file no longer had), for `state export --missing`. Returns how many.
   */
  async saveMissing(): Promise<number> {
    this.assertOpen();
    if (this.readOnly) throw new Error('state store opened read-only');
    try {
      return await writeMissing(this.file, this.unseenIds());
    } catch (error) {
      throw this.writeFailed(error);
    }
  }

  /** The contacts the last complete run's file no longer had (still known), and when that run was. */
  missing(): { head: MissingHead | undefined; contacts: AsyncIterable<KnownContact> } {
    this.assertOpen();
    return { head: readMissingHead(this.file), contacts: missingContacts(this.file, (id) => this.get(id)) };
  }

  /** Is there a store of this scope on disk (a read-only open of a scope never written: no)? */
  get exists(): boolean {
    return this.view.base !== undefined;
  }

  /** How many contacts the store knows in this scope. */
  count(): number {
    return this.known;
  }

  lastWritten(): Date | undefined {
    return this.lastWrittenAt === undefined ? undefined : new Date(this.lastWrittenAt);
  }

  /** Every contact of the scope, in the order the store learned them, writes not yet committed included. */
  *entries(): Iterable<KnownContact> {
    this.assertOpen();
    for (const r of this.view.records()) yield toContact(decode(r.buf, r.at));
  }

  /** Makes everything recorded so far durable (written and fdatasync'ed); merges past a size. */
  async commit(): Promise<void> {
    this.assertOpen();
    if (this.readOnly) return;
    // Before the check for a log: a merge that failed half-way may have left none.
    this.throwIfFailed();
    if (this.view.log === undefined) return;
    try {
      await this.view.log.sync();
      const log = this.view.log;
      if (log !== undefined && (this.view.logEntries > this.mergeAfter || log.bytes > MERGE_BYTES)) {
        // Not while another commit's fdatasync runs on the log: the merge closes it. Another
        // commit may start one while this one waits: checked again with no await before the merge.
        do await log.idle();
        while (log.busy);
        if (this.view.log === log) this.merge(true);
      }
    } catch (error) {
      throw this.writeFailed(error);
    }
  }

  /** Commits, merges the log into a new base file, and closes. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      if (!this.readOnly && this.view.log !== undefined) {
        await this.commit();
        while (this.view.log?.busy) await this.view.log.idle();
        try {
          if (this.view.ids.size > 0) this.merge(false);
          // Nothing written tonight: the empty log goes, the base stays as it was.
          else rmSync(logFileOf(this.file), { force: true });
        } catch (error) {
          throw this.writeFailed(error);
        }
      }
    } finally {
      this.closed = true;
      this.view.base?.close();
      this.view.log?.close();
      this.release();
    }
  }

  /** Deletes a scope's store at `path`, or every store there when no scope is given. */
  static forget(path: string, scope?: StoreScope): Promise<void> {
    return forgetStores(path, scope).catch((error: unknown) => {
      throw cannotOpen(path, error);
    });
  }

  /** What the stores at `path` hold, for `livedesk-import state`. */
  static describe(path: string): Promise<StoreDescription[]> {
    return describeStores(path).catch((error: unknown) => {
      throw cannotOpen(path, error);
    });
  }

  // ── the writes ─────────────────────────────────────────────────────────────────────────────

  private append(log: LogFile, type: number, now: number, id: string, fp: string, keys: Rec['keys']): void {
    const bytes = encode(type, now, id, fp, keys[1], keys[2], keys[3]);
    const off = log.add(bytes);
    this.view.apply(bytes, 0, off);
  }

  /** The base and the log become a new base file; `again`: a new log follows (the store stays open). */
  private merge(again: boolean): void {
    const log = this.view.log!;
    log.flush();
    const meta = {
      scope: this.scope,
      created: this.view.base?.meta.created ?? Date.now(),
      ...(this.lastWrittenAt === undefined ? {} : { lastWritten: this.lastWrittenAt }),
      token: newToken(),
      mergedLog: log.meta.token,
    };
    writeBase(this.file, meta, {
      base: this.view.base,
      log,
      superseded: (buf, at) => this.view.superseded(buf, at),
      // The old base's seen marks are by place: they go into the seen set by ID before it goes.
      visitBase: (buf, at, off) => {
        if (this.view.base?.isSeen(off)) this.seen.add(decodeId(buf, at));
      },
      latest: (buf, at, off) => this.view.isLatest(buf, at, off),
    });
    // The new base holds everything: the old files may go (a crash before this point leaves the
    // old log beside the new base, recognised by its token and dropped at the next open). The new
    // files are opened before the old ones are let go: if that fails, the view still reads what
    // the store holds, and the failure stops every later write.
    const base = openBase(this.file, this.scope, true)!;
    let next: LogFile | undefined;
    try {
      if (!again) rmSync(logFileOf(this.file), { force: true });
      else next = createLog(this.file, base);
    } catch (error) {
      base.close();
      throw error;
    }
    this.view.base?.close();
    log.close();
    this.recentIds.fill('');
    this.view.reset(base, next);
  }

  private beginWrite(): LogFile {
    this.assertOpen();
    if (!this.readOnly) this.throwIfFailed();
    if (this.readOnly || this.view.log === undefined) throw new Error(`state store ${this.file} is opened read-only`);
    return this.view.log;
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.writeFailed(this.failure);
  }

  private writeFailed(error: unknown): StateStoreError {
    // Recorded whatever its kind: a StateStoreError (a file that cannot be opened in a merge)
    // stops later writes as surely as a full disk.
    this.failure ??= error;
    if (error instanceof StateStoreError) return error;
    return new StateStoreError(`State store ${this.file} could not be written: ${(error as Error)?.message ?? error}`, {
      cause: error,
      code: 'state_write',
    });
  }

  private *unseenIds(): Iterable<string> {
    this.assertOpen();
    for (const r of this.view.records()) if (!this.isSeen(r)) yield decodeId(r.buf, r.at);
  }

  /** Marked seen: by its place in the base file, or by ID (a base record the log replaced since counts by its old place). */
  private isSeen(r: { buf: Buffer; at: number; off: number; inBase: boolean }): boolean {
    const base = this.view.base;
    if (r.inBase && base?.isSeen(r.off)) return true;
    const id = decodeId(r.buf, r.at);
    if (this.seen.has(id)) return true;
    if (r.inBase || base === undefined) return false;
    const old = this.view.baseOffset(id);
    return old !== undefined && base.isSeen(old);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`state store ${this.file} is closed`);
  }
}

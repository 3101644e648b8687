// The state store: what LiveDesk holds from us, per base URL + account + inbox (issue 13).
//
// One LMDB file per scope (docs/state-store.md says why LMDB, with the measurement; engine.ts
// has the layout). Reads are synchronous, from the memory map. Writes are LMDB's asynchronous batches: every write
// made in one event turn commits in one transaction (so a contact and its key entries never part),
// and `commit()` waits until they are committed and flushed. Until a batch commits, its writes sit
// in a small overlay here, so a look-up right after `record()` already sees them.
//
// Only LiveDesk's answers go in (the caller's job); a crash leaves the file at its last committed
// transaction: behind, never ahead, never corrupt (LMDB's copy-on-write B-tree and meta pages).
import {
  FIELD,
  FORMAT,
  KINDS,
  entryCount,
  indexKey,
  normalizeKey,
  openDbs,
  openEnv,
  storedScope,
  toContact,
  type ContactKeys,
  type Dbs,
  type FoundContacts,
  type KeyKind,
  type KnownContact,
  type Tuple,
} from './engine.js';
import { StateStoreError, placeOf, prepareStoreFiles, storeFileExists, storeFileOf } from './files.js';
import { checkStoreFile } from './header.js';
import { describeStores, forgetStores, type StoreDescription } from './manage.js';
import { describeScope, sameScope, scopeRecord, type ScopeRecord, type StoreScope } from './scope.js';
import { SeenSet } from './seen.js';
import type { RootDatabase } from 'lmdb';

export { defaultStatePath, type StoreScope } from './scope.js';
export { StateStoreError } from './files.js';
export type { ContactKeys, FoundContacts, KeyKind, KnownContact } from './engine.js';
export type { StoreDescription } from './manage.js';

/** A write not yet committed: its generation (one per record()/forgetContact() call) and value. */
interface Pending<T> {
  gen: number;
  v: T | null;
}

export class StateStore {
  private readonly seen = new SeenSet();
  private readonly pendingContacts = new Map<string, Pending<Tuple>>();
  private readonly pendingKeys = new Map<string, Pending<string>>();
  private gen = 0;
  private settledGen = 0;
  private last: Promise<unknown> | undefined;
  private failure: unknown;
  private known: number;
  private lastWrittenAt: number | undefined;
  private lastWrittenStored: number | undefined;
  private closed = false;
  private sweepQueued = false;
  private readonly onFail = (error: unknown): void => {
    this.failure ??= error;
  };

  private constructor(
    /** The store file of this scope. */
    readonly file: string,
    readonly scope: ScopeRecord,
    private readonly env: RootDatabase,
    private readonly db: Dbs,
  ) {
    this.known = entryCount(db.contacts);
    const lw = db.meta.get('lastWritten');
    this.lastWrittenAt = typeof lw === 'number' ? lw : undefined;
    this.lastWrittenStored = this.lastWrittenAt;
  }

  /**
   * Opens (or creates) the store of `scope` at `path`: a folder (one file per scope inside) or a
   * file of its own. Folders are created 0700, files 0600; a symbolic link is refused, and so is a
   * file that holds another scope.
   */
  static async open(path: string, scope: StoreScope): Promise<StateStore> {
    const rec = scopeRecord(scope);
    const file = storeFileOf(await placeOf(path), rec);
    // Look before touching: a file that is not a store is refused unchanged (mode included).
    if (await storeFileExists(file)) await checkStoreFile(file);
    await prepareStoreFiles(file);
    const env = openEnv(file, false);
    try {
      const db = openDbs(env);
      const format = db.meta.get('format');
      if (typeof format === 'number' && format > FORMAT) {
        throw new StateStoreError(
          `State store ${file} was written by a newer livedesk-import (format ${format}): refused`,
        );
      }
      const stored = storedScope(db.meta);
      if (stored === undefined) {
        if (entryCount(db.contacts) > 0) {
          throw new StateStoreError(`State store ${file} has contacts but no scope: refused`);
        }
        await Promise.all([
          db.meta.put('format', FORMAT),
          db.meta.put('created', Date.now()),
          db.meta.put('scope', rec),
        ]);
        await env.flushed;
      } else if (!sameScope(stored, rec)) {
        throw new StateStoreError(
          `State store ${file} belongs to ${describeScope(stored)}, not to ${describeScope(rec)}: ` +
            'choose another --state file, or remove this one with `livedesk-import state forget`',
          { code: 'state_other_scope' },
        );
      }
      return new StateStore(file, rec, env, db);
    } catch (error) {
      await env.close();
      throw error;
    }
  }

  /**
   * The contacts holding each of these keys (identifier exact, email case-insensitive, phone
   * exact). The store keeps each key on one contact only (`record()` moves it), so a key the first
   * contact found also holds is answered without another look-up: a known row costs two reads.
   */
  find(keys: ContactKeys): FoundContacts {
    this.assertOpen();
    const out: FoundContacts = {};
    let t1: Tuple | undefined;
    let c1: KnownContact | undefined;
    let t2: Tuple | undefined;
    let c2: KnownContact | undefined;
    for (const kind of KINDS) {
      const raw = keys[kind];
      if (raw === undefined || raw === '') continue;
      const value = normalizeKey(kind, raw);
      const f = FIELD[kind];
      if (t1 !== undefined && t1[f] === value) {
        out[kind] = c1;
        continue;
      }
      if (t2 !== undefined && t2[f] === value) {
        out[kind] = c2;
        continue;
      }
      const id = this.idOf(kind, value);
      if (id === undefined) continue;
      const t = this.tupleOf(id);
      // The contact's own record has the last word: an index entry it does not back is stale.
      if (t === undefined || t[f] !== value) continue;
      const c = toContact(id, t);
      out[kind] = c;
      if (t1 === undefined) [t1, c1] = [t, c];
      else [t2, c2] = [t, c];
    }
    return out;
  }

  /** A contact by its LiveDesk ID. */
  get(id: string): KnownContact | undefined {
    this.assertOpen();
    const t = this.tupleOf(String(id));
    return t === undefined ? undefined : toContact(String(id), t);
  }

  /**
   * What LiveDesk answered for a contact (created/found/updated): replaces its record and its key
   * index entries; a key another contact held moves to this one. Durable at the next `commit()`.
   */
  record(c: KnownContact): void {
    const id = String(c.id);
    if (id === '') throw new TypeError('state store: record() needs a contact ID');
    if (typeof c.fingerprint !== 'string') throw new TypeError('state store: record() needs a fingerprint');
    const g = this.beginWrite();
    const now = Date.now();
    const next: Tuple = [
      c.fingerprint,
      c.identifier === undefined || c.identifier === '' ? null : c.identifier,
      c.email === undefined || c.email === '' ? null : c.email.toLowerCase(),
      c.phone_number === undefined || c.phone_number === '' ? null : c.phone_number,
      now,
    ];
    const old = this.tupleOf(id);
    for (const kind of KINDS) {
      const f = FIELD[kind];
      const was = old?.[f] ?? null;
      const is = next[f];
      if (was !== null && was !== is) {
        const key = indexKey(kind, was);
        if (this.idAt(key) === id) this.writeKey(g, key, null);
      }
      if (is === null) continue;
      const key = indexKey(kind, is);
      const holder = this.idAt(key);
      if (holder === id) continue;
      if (holder !== undefined) {
        // LiveDesk keeps keys unique: the other contact no longer holds this one.
        const other = this.tupleOf(holder);
        if (other !== undefined && other[f] === is) {
          const changed = other.slice() as Tuple;
          changed[f] = null;
          this.writeContact(g, holder, changed);
        }
      }
      this.writeKey(g, key, id);
    }
    this.writeContact(g, id, next);
    if (old === undefined) this.known++;
    this.endWrite(g, now);
  }

  /** LiveDesk said 404: the contact is gone. */
  forgetContact(id: string): void {
    id = String(id);
    const old = this.tupleOf(id);
    if (old === undefined) return;
    const g = this.beginWrite();
    for (const kind of KINDS) {
      const v = old[FIELD[kind]];
      if (v === null) continue;
      const key = indexKey(kind, v);
      if (this.idAt(key) === id) this.writeKey(g, key, null);
    }
    this.writeContact(g, id, null);
    this.known--;
    this.endWrite(g, Date.now());
  }

  /** Marks a contact as present in tonight's file (this session only; nothing is written). */
  markSeen(id: string): void {
    this.seen.add(String(id));
  }

  /** How many of the scope's contacts were not marked seen in this session. */
  unseenCount(): number {
    let n = 0;
    for (const id of this.ids()) if (!this.seen.has(id)) n++;
    return n;
  }

  *unseen(): Iterable<KnownContact> {
    for (const c of this.entries()) if (!this.seen.has(c.id)) yield c;
  }

  /** How many contacts the store knows in this scope. */
  count(): number {
    return this.known;
  }

  lastWritten(): Date | undefined {
    return this.lastWrittenAt === undefined ? undefined : new Date(this.lastWrittenAt);
  }

  /** Every contact of the scope, in ID order (as text), with writes not yet committed included. */
  *entries(): Iterable<KnownContact> {
    this.assertOpen();
    const overlay = new Map(this.pendingContacts);
    for (const { key, value } of this.db.contacts.getRange()) {
      const p = overlay.get(key);
      if (p !== undefined) {
        overlay.delete(key);
        if (p.v !== null) yield toContact(key, p.v);
      } else {
        yield toContact(key, value);
      }
    }
    for (const [id, p] of overlay) if (p.v !== null) yield toContact(id, p.v);
  }

  /** Makes everything recorded so far durable (committed and flushed to disk). */
  async commit(): Promise<void> {
    this.assertOpen();
    if (this.lastWrittenAt !== undefined && this.lastWrittenAt !== this.lastWrittenStored) {
      this.lastWrittenStored = this.lastWrittenAt;
      this.track(this.db.meta.put('lastWritten', this.lastWrittenAt));
    }
    const last = this.last;
    if (last !== undefined) await last.catch(() => undefined);
    await this.env.flushed;
    if (this.failure !== undefined) {
      throw new StateStoreError(
        `State store ${this.file} could not be written: ${(this.failure as Error)?.message ?? this.failure}`,
        { cause: this.failure, code: 'state_write' },
      );
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.commit();
    } finally {
      this.closed = true;
      await this.env.close();
    }
  }

  /** Deletes a scope's store at `path`, or every store there when no scope is given. */
  static forget(path: string, scope?: StoreScope): Promise<void> {
    return forgetStores(path, scope);
  }

  /** What the stores at `path` hold, for `livedesk-import state`. */
  static describe(path: string): Promise<StoreDescription[]> {
    return describeStores(path);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`state store ${this.file} is closed`);
  }

  private *ids(): Iterable<string> {
    this.assertOpen();
    const overlay = new Map(this.pendingContacts);
    for (const id of this.db.contacts.getKeys()) {
      const p = overlay.get(id);
      if (p !== undefined) {
        overlay.delete(id);
        if (p.v !== null) yield id;
      } else {
        yield id;
      }
    }
    for (const [id, p] of overlay) if (p.v !== null) yield id;
  }

  private tupleOf(id: string): Tuple | undefined {
    const p = this.pendingContacts.get(id);
    if (p !== undefined) return p.v ?? undefined;
    return this.db.contacts.get(id);
  }

  private idAt(key: string): string | undefined {
    const p = this.pendingKeys.get(key);
    if (p !== undefined) return p.v ?? undefined;
    return this.db.keys.get(key);
  }

  private idOf(kind: KeyKind, value: string): string | undefined {
    return this.idAt(indexKey(kind, value));
  }

  private beginWrite(): number {
    this.assertOpen();
    if (this.failure !== undefined) {
      throw new StateStoreError(`State store ${this.file} could not be written`, {
        cause: this.failure,
        code: 'state_write',
      });
    }
    return ++this.gen;
  }

  private track(p: Promise<unknown>): void {
    p.catch(this.onFail);
    this.last = p;
  }

  private writeContact(gen: number, id: string, t: Tuple | null): void {
    this.pendingContacts.set(id, { gen, v: t });
    this.track(t === null ? this.db.contacts.remove(id) : this.db.contacts.put(id, t));
  }

  private writeKey(gen: number, key: string, id: string | null): void {
    this.pendingKeys.set(key, { gen, v: id });
    this.track(id === null ? this.db.keys.remove(key) : this.db.keys.put(key, id));
  }

  private endWrite(gen: number, now: number): void {
    this.lastWrittenAt = now;
    if (this.lastWrittenStored === undefined || now - this.lastWrittenStored >= 1000) {
      this.lastWrittenStored = now;
      this.track(this.db.meta.put('lastWritten', now));
    }
    // Every write of this call went into this event turn's transaction: when its last one
    // commits, they all have, and the overlay entries of this generation can go.
    this.last!.then(() => this.settle(gen), () => undefined);
  }

  private settle(gen: number): void {
    if (gen > this.settledGen) this.settledGen = gen;
    if (this.sweepQueued) return;
    // A transaction's promises resolve together: sweep once, after all of their callbacks.
    this.sweepQueued = true;
    queueMicrotask(this.sweep);
  }

  private readonly sweep = (): void => {
    this.sweepQueued = false;
    if (this.settledGen >= this.gen) {
      this.pendingContacts.clear();
      this.pendingKeys.clear();
      return;
    }
    for (const [k, p] of this.pendingContacts) if (p.gen <= this.settledGen) this.pendingContacts.delete(k);
    for (const [k, p] of this.pendingKeys) if (p.gen <= this.settledGen) this.pendingKeys.delete(k);
  };
}

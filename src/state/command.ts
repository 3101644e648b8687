// `livedesk-import state`: where the state store is and what it knows; `state export FILE.csv`;
// `state forget` (asks, or --yes).
// Exporting or forgetting one store needs its scope: --base-url, --inbox-id and the account's
// LIVEDESK_API_KEY (only its hash is kept, so the key picks the account).
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { UsageError } from '../errors.js';
import { csvLine } from '../sinks/csv-file.js';
import { placeOf } from './files.js';
import { legacyStoresIn } from './legacy.js';
import { defaultStatePath, normalizeBaseUrl } from './scope.js';
import { StateStore, type KnownContact } from './store.js';

export interface StateArgs {
  action?: string;
  file?: string;
  state?: string;
  baseUrl?: string;
  inboxId?: string;
  missing?: boolean;
  yes?: boolean;
}

interface Out {
  say: (text: string) => void;
  env: NodeJS.ProcessEnv;
  stdin?: NodeJS.ReadableStream;
}

const DEFAULT_BASE_URL = 'https://livedesk-api.engagelab.com';

export async function stateCommand(a: StateArgs, io: Out): Promise<number> {
  const path = a.state ?? defaultStatePath(io.env);
  switch (a.action ?? 'show') {
    case 'show':
      return show(path, io);
    case 'export':
      return exportStore(path, a, io);
    case 'forget':
      return forget(path, a, io);
    default:
      throw new UsageError(`state ${a.action}: unknown; use "state", "state export FILE.csv" or "state forget"`);
  }
}

async function show(path: string, io: Out): Promise<number> {
  const stores = await StateStore.describe(path);
  io.say(`State store: ${path}`);
  if (stores.every((s) => s.problem !== undefined)) io.say('It knows no contacts yet: a live import records what LiveDesk answers there.');
  for (const s of stores) {
    if (s.problem !== undefined) {
      io.say(`  ${s.file}: cannot be read as a store, left as it is: ${s.problem}`);
      continue;
    }
    io.say(`  ${s.baseUrl}, inbox ${s.inboxId}, account ${s.account}…: ${s.contacts.toLocaleString('en-US')} contacts, last written ${s.lastWritten?.toISOString() ?? 'never'} (${s.file})`);
    if (s.lastComplete) io.say(`    the last run that read its whole file (${s.lastComplete.at.toISOString()}) no longer had ${s.lastComplete.missing.toLocaleString('en-US')} of them: \`state export --missing FILE.csv\` lists them`);
  }
  const place = await placeOf(path);
  if (place.kind === 'folder') {
    for (const f of await legacyStoresIn(place.dir)) {
      io.say(`  ${f}: a store of an earlier version (LMDB), no longer read; its contacts are learned again by the next run of its inbox. \`state forget --yes\` (or rm) removes it`);
    }
  }
  return 0;
}

function scopeOf(a: StateArgs, io: Out): { baseUrl: string; apiKey: string; inboxId: string } {
  const apiKey = io.env.LIVEDESK_API_KEY?.trim();
  const inboxId = a.inboxId ?? io.env.LIVEDESK_INBOX_ID?.trim();
  if (!apiKey || !inboxId) {
    throw new UsageError('name the store: --inbox-id (or LIVEDESK_INBOX_ID), --base-url if not the default, and LIVEDESK_API_KEY in the environment (it picks the account; only its hash is stored)');
  }
  return { baseUrl: normalizeBaseUrl(a.baseUrl ?? io.env.LIVEDESK_BASE_URL?.trim() ?? DEFAULT_BASE_URL), apiKey, inboxId };
}

async function exportStore(path: string, a: StateArgs, io: Out): Promise<number> {
  if (!a.file) throw new UsageError(`state export needs a file name: livedesk-import state export ${a.missing ? '--missing missing.csv' : 'contacts-known.csv'}`);
  const scope = scopeOf(a, io);
  // Read-only: a mistyped inbox or base URL finds no store, and creates none.
  const store = await StateStore.open(path, scope, { readOnly: true });
  let n = 0;
  try {
    if (!store.exists) {
      throw new UsageError(`no state store of inbox ${scope.inboxId} at ${scope.baseUrl} for this LIVEDESK_API_KEY under ${path}: check --inbox-id, --base-url and the key; \`livedesk-import state\` lists the stores there`);
    }
    let contacts: AsyncIterable<KnownContact> | Iterable<KnownContact> = store.entries();
    if (a.missing) {
      const m = store.missing();
      if (m.head === undefined) throw new UsageError('no run of this inbox has read its whole file since the store was started: there is no list of missing contacts yet (a live import that finishes writes it)');
      io.say(`The run of ${new Date(m.head.at).toISOString()} read its whole file; it no longer had ${m.head.count.toLocaleString('en-US')} of the contacts the store knew.`);
      contacts = m.contacts;
    }
    // The file holds people's emails and phone numbers: private, and never over an existing one.
    const out = createWriteStream(a.file, { flags: 'wx', mode: 0o600 });
    await new Promise<void>((resolve, reject) => {
      out.once('open', () => resolve());
      out.once('error', (e: NodeJS.ErrnoException) =>
        reject(e.code === 'EEXIST' ? new UsageError(`${a.file} already exists: state export writes a new file; choose another name`, { cause: e }) : e),
      );
    });
    out.write(csvLine(['contact_id', 'identifier', 'email', 'phone_number', 'last_written']));
    for await (const c of contacts) {
      if (!out.write(csvLine([c.id, c.identifier ?? '', c.email ?? '', c.phone_number ?? '', c.updatedAt ? new Date(c.updatedAt).toISOString() : '']))) {
        await new Promise<void>((r) => out.once('drain', () => r()));
      }
      n++;
    }
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  } finally {
    await store.close();
  }
  io.say(`Wrote ${n.toLocaleString('en-US')} ${a.missing ? 'missing ' : ''}contacts to ${a.file}.`);
  return 0;
}

async function forget(path: string, a: StateArgs, io: Out): Promise<number> {
  const all = a.inboxId === undefined && !io.env.LIVEDESK_INBOX_ID?.trim();
  const scope = all ? undefined : scopeOf(a, io);
  const what = scope ? `the state store of inbox ${scope.inboxId} at ${scope.baseUrl}` : `every state store under ${path}`;
  if (!a.yes) {
    if (!io.stdin || !(io.stdin as NodeJS.ReadStream).isTTY) throw new UsageError(`state forget would delete ${what}: add --yes to confirm (no terminal to ask on)`);
    const rl = createInterface({ input: io.stdin, output: process.stderr });
    const answer = await rl.question(`Delete ${what}? LiveDesk itself is not touched; the next run decides every row against it again. [y/N] `);
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) {
      io.say('Nothing deleted.');
      return 0;
    }
  }
  await StateStore.forget(path, scope);
  io.say(`Deleted ${what}.`);
  return 0;
}

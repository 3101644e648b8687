// The send stage: valid rows in, outcomes out, with as many requests in flight as --concurrency
// allows. `submit` resolves only when the queue has room for the next row, which is the
// backpressure that keeps memory flat: the reader waits for the queue, whatever the file's size.
// One stage per mode, chosen once: a dry run settles each row at once, a check looks it up, an
// import sends it.
import PQueue from 'p-queue';
import type { RunMode } from '../options.js';
import type { ContactPayload, Outcome, ValidRow } from '../types.js';
import type { KnownDecision } from './known.js';
import { checkRow } from './check.js';
import { createClient } from './client.js';
import { ContactIds } from './contact-id.js';
import { KeyLock } from './key-lock.js';
import { RatePacer } from './rate.js';
import { request, type RequestContext, type RetryClass, type SendStats } from './request.js';
import { classifyAnswer } from './classify.js';
import { sendRow, type PhoneTaken, type SendResult } from './sender.js';
import type { OnExisting } from '../options.js';

export interface SendStage {
  /** Takes a valid row; its outcome reaches `settle` later (or at once). Resolves when there is room for the next. */
  submit(row: ValidRow): Promise<void>;
  /** Resolves when every submitted row has its outcome; then closes the connections. */
  finish(): Promise<void>;
}

export interface SendSetup {
  mode: RunMode;
  baseUrl: string;
  inboxId: number | string;
  apiKey: string;
  apiSecret: string;
  concurrency: number;
  rate: number;
  retries: number;
  timeoutMs: number;
  onExisting: OnExisting;
  /** --phone-taken: a row whose phone a different contact holds is failed, or created without the phone. */
  phoneTaken: PhoneTaken;
}

export interface SendWiring {
  /** Where each row's outcome goes: the sinks. */
  settle: (o: Outcome) => void;
  /** Stops the run (a fatal answer, a failed write); `signal` says when it has stopped. */
  stop: (reason: string) => void;
  signal: AbortSignal;
  stats: SendStats;
  /** The journal's sent mark, written before a row's first request. */
  markSent: (row: number) => void;
  /** Rows a stopped run sent without hearing back (--resume). */
  maybeSent?: { has(row: number): boolean };
  onRetry?: (c: RetryClass, delayMs: number, row: number | undefined) => void;
  /** What the state store knows of a row's keys (absent without a store, or with --full). */
  known?: (contact: ContactPayload) => KnownDecision;
  /** The state store's part in updates (a live run with a store). */
  state?: { beforeUpdate(id: string): Promise<void>; forget(id: string): void };
}

export function openSendStage(setup: SendSetup, w: SendWiring): SendStage {
  if (setup.mode === 'dry-run') {
    return {
      submit: (row) => {
        // With a state store, the dry run says what the store alone would decide: no network.
        const k = w.known?.(row.contact);
        const { row: n, values, contact } = row;
        if (k?.kind === 'known') {
          w.settle(k.same ? { kind: 'unchanged', row: n, values, contact, contactId: k.contact.id } : { kind: 'would_update', row: n, values, contact, contactId: k.contact.id });
        } else {
          w.settle({ kind: 'valid', row: n, values, contact });
        }
        return Promise.resolve();
      },
      finish: () => Promise.resolve(),
    };
  }
  const client = createClient({ baseUrl: setup.baseUrl, apiKey: setup.apiKey, apiSecret: setup.apiSecret, connections: setup.concurrency, timeoutMs: setup.timeoutMs });
  const base: RequestContext = {
    client,
    pacer: new RatePacer(setup.rate),
    stop: w.signal,
    stats: w.stats,
    retries: setup.retries,
    inboxId: setup.inboxId,
    baseUrl: setup.baseUrl,
    ...(w.onRetry ? { onRetry: w.onRetry } : {}),
  };
  // One context for every row: a per-row copy (and closure) showed in the live import's profile.
  const senderCtx = { ...base, ...(w.known ? { known: w.known } : {}), ...(w.state ? { state: w.state } : {}), keyLock: new KeyLock(), onExisting: setup.onExisting, phoneTaken: setup.phoneTaken, markSent: w.markSent, ids: new ContactIds() };
  const checkCtx = { ...base, phoneTaken: setup.phoneTaken };
  const send: (row: ValidRow, known?: KnownDecision) => Promise<SendResult> =
    setup.mode === 'check' ? (row) => checkRow(row, checkCtx) : (row, known) => sendRow(row, senderCtx, w.maybeSent?.has(row.row) ?? false, known);
  const queue = new PQueue({ concurrency: setup.concurrency });
  let checked: Promise<boolean> | undefined;
  const credentialsChecked = (): Promise<boolean> =>
    (checked ??= request(base, {
      send: () => client.searchContacts('livedesk-import credentials check', 1),
      read: (a) => (a.status >= 200 && a.status < 300 ? { kind: 'ok' as const } : classifyAnswer(a, { inboxId: String(setup.inboxId), baseUrl: setup.baseUrl, now: Date.now() })),
    }).then(({ answer }) => {
      if (answer.kind === 'fatal') w.stop(answer.message);
      return answer.kind === 'ok' || (answer.kind !== 'fatal' && answer.kind !== 'stopped');
    }));
  const settleResult = (r: SendResult): void => {
    if (r.kind !== 'fatal') return w.settle(r);
    w.stop(r.message);
    w.settle({ kind: 'notSent', row: r.row });
  };
  return {
    async submit(row) {
      // A row the state store knows unchanged needs no request: settled here, without a queue slot.
      const known = setup.mode === 'import' ? w.known?.(row.contact) : undefined;
      if (known?.kind === 'known' && known.same) {
        // …once LiveDesk has taken this run's credentials at least once: a night with nothing to
        // send must still fail on a revoked key or a wrong base URL (one request a run).
        if (!(await credentialsChecked())) return w.settle({ kind: 'notSent', row: row.row });
        return w.settle({ kind: 'unchanged', row: row.row, values: row.values, contact: row.contact, contactId: known.contact.id });
      }
      await queue.onSizeLessThan(setup.concurrency);
      if (w.signal.aborted) return w.settle({ kind: 'notSent', row: row.row });
      queue.add(async () => settleResult(await send(row, known))).catch((e: unknown) => {
        // An output or journal write failed for this row: it has no recorded outcome, so --resume
        // redoes it (its sent mark, if written, makes that safe).
        w.stop(`cannot write an output file: ${(e as Error).message}`);
        w.settle({ kind: 'notSent', row: row.row });
      });
    },
    async finish() {
      try {
        await queue.onIdle();
      } finally {
        await client.close();
      }
    },
  };
}

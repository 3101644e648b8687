// The map stage across threads. Validating a row (libphonenumber-js above all) costs more CPU than
// parsing it, so on a machine with a spare core the rows are mapped by worker threads while this
// thread parses the next ones, deduplicates and sends. Rows come out in file order either way, and
// a verdict is the same whichever thread computed it (mapRow is pure).
//
// The first rows are mapped here while the workers load, so the first request does not wait for
// them; a worker that fails has its batches mapped here instead (the run goes on, slower).
import { Worker } from 'node:worker_threads';
import { restoreCell } from '../security/formula.js';
import type { ResolvedMapping } from './mapping.js';
import { mapRow, type MapOptions, type Validation } from './validate.js';
import type { WorkerInit } from './worker.js';

// Batches cross between threads as JSON text, not as objects: postMessage's structured clone
// copies thousands of small strings and objects one by one (measured: ~3 µs a row both ways),
// while one string is a single copy and JSON.stringify/parse take ~0.5 µs a row.

/** A batch of rows' cells for a worker: `JSON.stringify(string[][])`. */
export interface BatchRequest {
  id: number;
  rows: string;
}

/** A worker's verdicts for a batch, in the batch's order: `JSON.stringify(Validation[])`. */
export interface BatchReply {
  id: number;
  results: string;
}

type WorkerMessage = BatchReply | { ready: true };

export interface MapStageOptions {
  mapping: ResolvedMapping;
  options: MapOptions;
  /** Take the formula guard (') off each cell before mapping: a fed-back failures file. */
  restoreFormulas: boolean;
  /** Worker threads; 0 maps every row on this thread. */
  threads: number;
  /** The worker entry (dist/map/worker.js). Required when threads > 0. */
  workerUrl?: URL;
  /** Most rows in one batch (default 512). */
  batchSize?: number;
  /** Called once when a worker fails; its rows are mapped on this thread from then on. */
  onWorkerError?: (e: Error) => void;
}

export interface MappedBatch<R> {
  recs: R[];
  /** mapRow's verdict for each record that wanted mapping, undefined for the others. */
  results: (Validation | undefined)[];
  /** Whether a worker thread mapped this batch. */
  threaded: boolean;
}

interface Pending<R> {
  recs: R[];
  threaded: boolean;
  results: (Validation | undefined)[] | undefined;
  /** Settles when results are in. */
  done: Promise<void>;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  dead: boolean;
  inFlight: Map<number, { rows: string[][]; resolve: (r: Validation[]) => void; reject: (e: unknown) => void }>;
}

/**
 * Maps `records` in order, `wants(r)` deciding which need mapRow, and yields them in batches with
 * their verdicts. At most about 2 × threads + 2 batches are held at once, so memory stays bounded
 * and a slow consumer (the send queue) holds the reading back.
 */
export async function* mapRecords<R extends { values: string[] }>(
  records: AsyncIterable<R>,
  wants: (r: R) => boolean,
  o: MapStageOptions,
): AsyncGenerator<MappedBatch<R>> {
  const restore = o.restoreFormulas;
  const mapHere = (values: string[]): Validation => mapRow(restore ? values.map(restoreCell) : values, o.mapping, o.options);
  const pool = o.threads > 0 && o.workerUrl ? new MapPool(o.workerUrl, o.threads, { mapping: o.mapping, options: o.options, restoreFormulas: restore }, mapHere, o.onWorkerError) : undefined;
  const maxBatch = o.batchSize ?? 512;
  const maxPending = pool ? 2 * o.threads + 2 : 1;
  const pending: Pending<R>[] = [];

  const dispatch = (recs: R[]): void => {
    const rows: string[][] = [];
    const at: number[] = [];
    for (let i = 0; i < recs.length; i++) {
      if (wants(recs[i]!)) {
        at.push(i);
        rows.push(recs[i]!.values);
      }
    }
    const p: Pending<R> = { recs, threaded: false, results: undefined, done: Promise.resolve() };
    const place = (verdicts: Validation[]): void => {
      const results = new Array<Validation | undefined>(recs.length);
      for (let k = 0; k < at.length; k++) results[at[k]!] = verdicts[k];
      p.results = results;
    };
    const sent = rows.length > 0 ? pool?.map(rows) : undefined;
    if (sent) {
      p.threaded = true;
      p.done = sent.then(place);
      // Awaited when its turn comes; until then a failure must not count as unhandled.
      p.done.catch(() => {});
    }
    else place(rows.map(mapHere));
    pending.push(p);
  };

  try {
    // Small batches first, so the first rows reach the queue at once; then full ones.
    let size = 16;
    let batch: R[] = [];
    // The source can fail part-way (an over-long record, a read error): the rows read before it
    // still get their outcomes, as they would one at a time, and then the error goes on.
    let failure: { error: unknown } | undefined;
    try {
      for await (const rec of records) {
        batch.push(rec);
        if (batch.length < size) continue;
        dispatch(batch);
        batch = [];
        if (size < maxBatch) size = Math.min(maxBatch, size * 4);
        // Hand over what is ready without waiting; wait only when enough is in the works.
        while (pending.length > 0 && (pending[0]!.results !== undefined || pending.length >= maxPending)) {
          const p = pending.shift()!;
          if (p.results === undefined) await p.done;
          yield { recs: p.recs, results: p.results!, threaded: p.threaded };
        }
      }
    } catch (error) {
      failure = { error };
    }
    if (batch.length > 0) dispatch(batch);
    while (pending.length > 0) {
      const p = pending.shift()!;
      if (p.results === undefined) await p.done;
      yield { recs: p.recs, results: p.results!, threaded: p.threaded };
    }
    if (failure) throw failure.error;
  } finally {
    await pool?.close();
  }
}

/** Worker threads running map/worker.js, each fed batches; the least busy ready one gets the next. */
class MapPool {
  private readonly slots: Slot[] = [];
  private nextId = 0;
  private closing = false;
  private reported = false;

  constructor(
    url: URL,
    threads: number,
    init: WorkerInit,
    private readonly mapHere: (values: string[]) => Validation,
    private readonly onError?: (e: Error) => void,
  ) {
    try {
      for (let i = 0; i < threads; i++) this.start(url, init);
    } catch (e) {
      // Threads that did start would keep the process alive after the run ends.
      this.closing = true;
      for (const s of this.slots) void s.worker.terminate();
      throw e;
    }
  }

  private start(url: URL, init: WorkerInit): void {
    // A small young generation: a worker's garbage is short-lived (one batch), and every MB
    // here is resident memory on top of the main thread's.
    const worker = new Worker(url, { workerData: init, resourceLimits: { maxYoungGenerationSizeMb: 8 }, stdout: false, stderr: false });
    const slot: Slot = { worker, ready: false, dead: false, inFlight: new Map() };
    worker.on('message', (m: WorkerMessage) => {
      if ('ready' in m) {
        slot.ready = true;
        return;
      }
      const job = slot.inFlight.get(m.id);
      if (job === undefined) return;
      slot.inFlight.delete(m.id);
      job.resolve(JSON.parse(m.results) as Validation[]);
    });
    worker.on('error', (e) => this.lose(slot, e));
    worker.on('exit', (code) => this.lose(slot, new Error(`a map worker thread exited with code ${code}`)));
    this.slots.push(slot);
  }

  /** Verdicts for rows, from a worker; undefined when no worker is ready (map them here). */
  map(rows: string[][]): Promise<Validation[]> | undefined {
    let best: Slot | undefined;
    for (const s of this.slots) {
      if (!s.ready || s.dead) continue;
      if (best === undefined || s.inFlight.size < best.inFlight.size) best = s;
    }
    if (best === undefined) return undefined;
    const id = this.nextId++;
    const slot = best;
    return new Promise((resolve, reject) => {
      slot.inFlight.set(id, { rows, resolve, reject });
      slot.worker.postMessage({ id, rows: JSON.stringify(rows) } satisfies BatchRequest);
    });
  }

  /** A worker failed or exited: its batches are mapped here, and it gets no more. */
  private lose(slot: Slot, e: Error): void {
    if (this.closing || slot.dead) return;
    slot.dead = true;
    if (!this.reported) {
      this.reported = true;
      this.onError?.(e);
    }
    for (const job of slot.inFlight.values()) {
      // Inside an event listener a throw would be uncaught: hand it to the batch's consumer.
      try {
        job.resolve(job.rows.map(this.mapHere));
      } catch (err) {
        job.reject(err);
      }
    }
    slot.inFlight.clear();
    void slot.worker.terminate();
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

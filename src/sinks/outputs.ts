// The files a row's outcome is written to: journaled (live runs), then one line in the results or
// failures file. The one path for all outcomes (sinks/index.ts counts them after), so the files
// and the journal cannot disagree.
//
// Lines are written in batches: an outcome's journal entry and output line wait in memory until
// the end of the event loop's turn (one write per file per turn, not three per row), or until
// the next row's sent mark, which carries the waiting journal entries in its own write. Whatever
// the trigger, the journal's waiting entries are always written before the output lines they
// vouch for, so the files hold whole lines and never a line the journal lacks. Every waiting
// line is written by close(), when the process exits (a second Ctrl-C calls process.exit), and
// as soon as a batch grows past MAX_WAITING characters.
import type { Outcome } from '../types.js';
import type { CsvLineFile } from './csv-file.js';
import type { FailureFormat } from './failures.js';
import type { Journal } from './journal.js';
import { resultLine, type CellFilter } from './results.js';

/** A batch this large is written at once, whatever the turn: bounds memory in a long synchronous stretch. */
const MAX_WAITING = 64 * 1024;

/** Outputs not closed yet: their waiting lines are written if the process exits first. */
const open = new Set<Outputs>();
let exitHooked = false;
/** Writes the waiting lines of every open Outputs: runs on process 'exit' (exported for tests). */
export function flushAtExit(): void {
  for (const o of open) {
    try {
      o.flush();
    } catch {
      // The process is leaving: the journal still vouches only for what reached the files.
    }
  }
}

export class Outputs {
  private scheduled = false;
  /** A batch could not be written: every later call fails with this. */
  private broken: Error | undefined;

  constructor(
    private readonly failures: CsvLineFile,
    private readonly failureFormat: FailureFormat,
    private readonly results: CsvLineFile | undefined,
    private readonly journal: Journal | undefined,
    private readonly cell: CellFilter,
    /** Columns of the results file (fewer in a file an earlier version started). */
    private readonly resultColumns?: number,
  ) {
    open.add(this);
    if (!exitHooked) {
      exitHooked = true;
      process.on('exit', flushAtExit);
    }
  }

  /** Before a row's first request, so a resumed run knows it may have reached LiveDesk. Written before it returns. */
  markSent(row: number): void {
    if (this.broken) throw this.broken;
    try {
      this.journal?.markSent(row);
    } catch (e) {
      this.fail(e as Error);
    }
  }

  /** The row number people know an outcome's row by (its original one in a fed-back failures file); the journal keeps `o.row`. */
  shownRow(o: Outcome): number {
    return 'values' in o ? this.failureFormat.shownRow(o.row, o.values) : o.row;
  }

  /** A row's outcome: journaled (live runs), then one line in the results or failures file. */
  take(o: Outcome): void {
    switch (o.kind) {
      case 'created':
      case 'existing':
      case 'updated':
      case 'unchanged':
      case 'would_create':
      case 'conflict': {
        if (this.broken) throw this.broken;
        const line = resultLine(o, this.cell, this.resultColumns, this.failureFormat.shownRow(o.row, o.values));
        if (o.kind !== 'would_create' && o.kind !== 'conflict') this.journal?.record({ row: o.row, kind: o.kind, file: 'results', line });
        this.results?.add(line);
        this.written();
        return;
      }
      case 'failed': {
        if (this.broken) throw this.broken;
        const line = this.failureFormat.line(o);
        this.journal?.record({ row: o.row, kind: 'failed', code: o.code, file: 'failures', line, ...(o.ambiguous ? { ambiguous: true } : {}) });
        this.failures.add(line);
        this.written();
        return;
      }
      default:
        // valid (dry run), skipped, notSent: no line in either file.
        return;
    }
  }

  /** Every row has an outcome: the lines first, then the journal's end entry that says so. */
  finish(): void {
    this.flush();
    try {
      this.journal?.finish();
    } catch (e) {
      this.fail(e as Error);
    }
  }

  /** Writes every waiting line now: the journal's entries first, then the output files'. */
  flush(): void {
    if (this.broken) throw this.broken;
    try {
      this.journal?.flush();
    } catch (e) {
      this.fail(e as Error);
    }
    // The journal holds these lines now: one file failing does not hold back the other.
    let error: Error | undefined;
    try {
      this.failures.flush();
    } catch (e) {
      error = e as Error;
    }
    try {
      this.results?.flush();
    } catch (e) {
      error ??= e as Error;
    }
    if (error) this.fail(error);
  }

  /** Writes what is waiting and closes the files (each one even when a write fails); rethrows a write error. */
  close(): void {
    open.delete(this);
    let error = this.broken;
    if (!error) {
      try {
        this.flush();
      } catch (e) {
        error = e as Error;
      }
    }
    const closers = [() => this.journal?.close(), () => this.failures.close(), () => this.results?.close()];
    for (const close of closers) {
      try {
        close();
      } catch (e) {
        error ??= e as Error;
      }
    }
    if (error) throw error;
  }

  private written(): void {
    if ((this.journal?.waiting ?? 0) + this.failures.waiting + (this.results?.waiting ?? 0) > MAX_WAITING) {
      this.flush();
      return;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushTurn);
    }
  }

  private readonly flushTurn = (): void => {
    this.scheduled = false;
    if (this.broken || !open.has(this)) return;
    try {
      this.flush();
    } catch {
      // Kept in `broken`: the next outcome, sent mark or close() reports it and the run stops.
    }
  };

  /**
   * A write failed: every later call fails with the same error, and lines still waiting are
   * dropped: their journal entries may not be on disk (or, when an output file failed, the file
   * is in doubt); resume rewrites the output lines the journal holds and redoes the other rows.
   */
  private fail(e: Error): never {
    this.broken = e;
    this.failures.discard();
    this.results?.discard();
    throw e;
  }
}

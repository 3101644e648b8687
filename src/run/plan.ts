// Planning a run, before any row moves: open the input and decide its mapping, take the lock on
// the output files, and open them (new, or the stopped run's to finish with --resume). Every
// problem found here is a UsageError: nothing has been sent, the CLI exits 2.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { detectMapping, hasAnyField, loadMappingFile, mappingToSpec, type ResolvedMapping } from '../map/index.js';
import type { Options } from '../options.js';
import { neutralizeCell } from '../security/formula.js';
import { openSource, type Source } from '../source/open.js';
import { CsvLineFile } from '../sinks/csv-file.js';
import { FailureFormat, failureStyleFor } from '../sinks/failures.js';
import { Journal, JOURNAL_FORMAT, JOURNAL_VERSION } from '../sinks/journal.js';
import { resumeJournal, type ResumeState } from '../sinks/journal-resume.js';
import { acquireLocks } from '../sinks/lock.js';
import { parse as parseCsv } from 'csv-parse/sync';
import { StateStore } from '../state/store.js';
import { digestFile, type InputDigest } from './input-digest.js';
import { setAsidePreviousRun } from './previous-run.js';
import { Outputs } from '../sinks/outputs.js';
import { usesStateStore } from '../sinks/output-paths.js';
import { resultsHeaderLine, type CellFilter } from '../sinks/results.js';

export interface Plan {
  source: Source;
  mapping: ResolvedMapping;
  outputs: Outputs;
  /** Set with --resume: what the stopped run finished. */
  resumed?: ResumeState;
  /** Releases the lock on the output files. */
  release: () => void;
  /** A live run: resolves once the input's digest is in the journal (await it before closing). */
  inputRecorded?: Promise<void>;
  /** Lines for people: an earlier run's files kept aside, and where. */
  notes: string[];
  /** The state store of this base URL, account and inbox (absent with --no-state, or a dry run without credentials). */
  store?: StateStore;
}

export async function planRun(opts: Options, signal?: AbortSignal): Promise<Plan> {
  // Every path a run works with is absolute from here on: the journal records them, and a resume
  // from another folder must find the same files.
  opts = { ...opts, results: resolve(opts.results), failures: resolve(opts.failures), journal: resolve(opts.journal) };
  const source = await openSource(opts.file, {
    maxFieldBytes: opts.maxFieldBytes,
    ...(opts.delimiter === undefined ? {} : { delimiter: opts.delimiter }),
    ...(opts.encoding === undefined ? {} : { encoding: opts.encoding }),
    ...(opts.sheet === undefined ? {} : { sheet: opts.sheet }),
    ...(signal ? { signal } : {}),
  });
  try {
    const mapping = resolveMapping(opts, source);
    const store = usesStateStore(opts) ? await StateStore.open(opts.state, { baseUrl: opts.baseUrl, apiKey: opts.apiKey, inboxId: opts.inboxId }, { readOnly: opts.mode !== 'import' }) : undefined;
    try {
      const opened = await openOutputs(opts, source, mapping, store);
      return { source, mapping, ...opened, ...(store ? { store } : {}) };
    } catch (e) {
      await store?.close();
      throw e;
    }
  } catch (e) {
    source.close();
    throw e;
  }
}

function resolveMapping(opts: Options, source: Source): ResolvedMapping {
  const mapping = opts.mapping ? loadMappingFile(opts.mapping, source.header) : detectMapping(source.header);
  if (!hasAnyField(mapping)) {
    throw new UsageError(
      `no column of ${opts.file} could be matched to a LiveDesk field. Its columns are: ${source.header.map((h) => JSON.stringify(h)).join(', ')}. ` +
        'Name them name / email / phone / identifier, or pass --mapping FILE (see docs/mapping.md)',
    );
  }
  return mapping;
}

/** Hash of the file's first MiB and last 64 KiB, with its size: enough to tell a changed file. */
function fingerprintFile(path: string): { size: number; sha256: string } {
  const size = statSync(path).size;
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(Math.min(size, 1 << 20));
    readSync(fd, head, 0, head.length, 0);
    hash.update(head);
    const tailLen = Math.min(size, 64 << 10);
    const tail = Buffer.alloc(tailLen);
    readSync(fd, tail, 0, tailLen, size - tailLen);
    hash.update(tail);
  } finally {
    closeSync(fd);
  }
  return { size, sha256: hash.digest('hex') };
}

/** What makes a resumed run the same job. Speed settings (rate, concurrency, …) may change. */
function jobIdentity(opts: Options, source: Source, mapping: ResolvedMapping): Record<string, unknown> {
  const { format } = source;
  return {
    // A pipe is read once: nothing to fingerprint (and --resume is refused for it, see source/file.ts).
    input: source.pipe ? { path: opts.file, pipe: true } : { path: resolve(opts.file), ...fingerprintFile(opts.file) },
    inboxId: opts.inboxId,
    baseUrl: opts.baseUrl,
    mapping: mappingToSpec(mapping),
    source: format.kind === 'csv' ? { kind: 'csv', encoding: format.encoding, delimiter: format.delimiter } : format,
    defaultCountry: opts.defaultCountry ?? null,
    onExisting: opts.onExisting,
    results: resolve(opts.results),
    failures: resolve(opts.failures),
  };
}

async function openOutputs(opts: Options, source: Source, mapping: ResolvedMapping, store: StateStore | undefined): Promise<Omit<Plan, 'source' | 'mapping' | 'store'>> {
  const cell: CellFilter = opts.rawOutput ? (c) => c : neutralizeCell;
  const failureFormat = new FailureFormat(source.header, cell, failureStyleFor(source.format));
  const files = opts.mode === 'import' ? [opts.results, opts.failures, opts.journal] : opts.mode === 'check' ? [opts.results, opts.failures] : [opts.failures];
  const release = acquireLocks(files, opts.mode === 'import' ? `${opts.results} and ${opts.failures}` : opts.failures);
  try {
    if (opts.mode !== 'import') return { outputs: createOutputs(opts, failureFormat, cell, undefined), release, notes: [] };
    if (opts.resume) {
      const { journal, state } = await resumeJournal(opts.journal, {
        identity: jobIdentity(opts, source, mapping),
        inputDigest: () => digestFile(opts.file),
        // What the stopped run heard from LiveDesk but had not committed to the store yet: its
        // rows are not sent again, so the store learns them here (keys and ID; no fingerprint).
        ...(store ? { onResult: (line: string) => rememberResult(store, line) } : {}),
      });
      // A file an earlier version started keeps its columns (it had no `note`).
      const columns = state.header.files.results.header.trim().split(',').length;
      // The failures file goes on in the delimiter (and with the one BOM) its header was written with.
      const outputs = new Outputs(CsvLineFile.append(opts.failures), failureFormat.continuing(state.header.files.failures.header), CsvLineFile.append(opts.results), journal, cell, columns);
      return { outputs, resumed: state, release, notes: [] };
    }
    const kept = await setAsidePreviousRun({ input: opts.file, results: opts.results, failures: opts.failures, journal: opts.journal, force: opts.force });
    const notes = kept.length === 0 ? [] : [`The earlier run's files were kept:\n${kept.map(([from, to]) => `  ${from} → ${to}`).join('\n')}`];
    const journal = createJournal(opts, source, mapping, failureFormat);
    const outputs = createOutputs(opts, failureFormat, cell, journal);
    // Read the input whole beside the import; its digest lets a resume prove the file unchanged.
    if (source.pipe) return { outputs, release, notes };
    const inputRecorded = digestFile(opts.file).then(
      (d: InputDigest) => journal.recordInput(d),
      () => undefined, // unreadable now: the head/tail fingerprint in the identity still guards
    );
    return { outputs, release, inputRecorded, notes };
  } catch (e) {
    release();
    throw e;
  }
}

/** A results line (row, outcome, contact_id, name, email, phone_number, identifier, …) into the store, if it does not know the contact. */
function rememberResult(store: StateStore, line: string): void {
  const [cells] = parseCsv(line) as string[][];
  const [, outcome, id, , email, phone, identifier] = cells ?? [];
  if (!id || !['created', 'existing', 'updated', 'unchanged'].includes(outcome ?? '') || store.get(id) !== undefined) return;
  store.record({ id, fingerprint: '', ...(identifier ? { identifier } : {}), ...(email ? { email: email.toLowerCase() } : {}), ...(phone ? { phone_number: phone } : {}) });
}

function createJournal(opts: Options, source: Source, mapping: ResolvedMapping, failureFormat: FailureFormat): Journal {
  try {
    return Journal.create(opts.journal, {
      format: JOURNAL_FORMAT,
      v: JOURNAL_VERSION,
      identity: jobIdentity(opts, source, mapping),
      files: {
        results: { path: opts.results, header: resultsHeaderLine() },
        failures: { path: opts.failures, header: failureFormat.headerLine },
      },
      startedAt: new Date().toISOString(),
    });
  } catch (e) {
    throw new UsageError(`cannot create the journal ${opts.journal}: ${(e as Error).message}`, { cause: e });
  }
}

function createOutputs(opts: Options, failureFormat: FailureFormat, cell: CellFilter, journal: Journal | undefined): Outputs {
  try {
    // A dry run replaces its own earlier outputs (cli.ts moved anything else aside: run/previous-run.ts); a live run's were kept aside.
    // Unlinked, never opened: a link there (refused by output-paths.ts already) would lose only itself.
    const fresh = (p: string): string => {
      if (opts.mode !== 'import') rmSync(p, { force: true });
      return p;
    };
    const results = opts.mode === 'dry-run' ? undefined : CsvLineFile.create(fresh(opts.results), resultsHeaderLine());
    const failures = CsvLineFile.create(fresh(opts.failures), failureFormat.headerLine);
    return new Outputs(failures, failureFormat, results, journal, cell);
  } catch (e) {
    journal?.close();
    // A folder that cannot be written, a full disk: nothing was sent yet, so this is a usage error.
    throw new UsageError(`cannot create the output files: ${(e as Error).message}`, { cause: e });
  }
}

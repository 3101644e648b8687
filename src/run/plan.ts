// Planning a run, before any row moves: open the input and decide its mapping, take the lock on
// the output files, and open them (new, or the stopped run's to finish with --resume). Every
// problem found here is a UsageError: nothing has been sent, the CLI exits 2.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { detectMapping, hasAnyField, loadMappingFile, mappingToSpec, type ResolvedMapping } from '../map/index.js';
import type { Options } from '../options.js';
import { neutralizeCell } from '../security/formula.js';
import { openSource, type Source } from '../source/open.js';
import { CsvLineFile } from '../sinks/csv-file.js';
import { FailureFormat } from '../sinks/failures.js';
import { Journal, JOURNAL_FORMAT, type ResumeState } from '../sinks/journal.js';
import { acquireLock } from '../sinks/lock.js';
import { Outputs } from '../sinks/outputs.js';
import { resultsHeaderLine, type CellFilter } from '../sinks/results.js';

export interface Plan {
  source: Source;
  mapping: ResolvedMapping;
  outputs: Outputs;
  /** Set with --resume: what the stopped run finished. */
  resumed?: ResumeState;
  /** Releases the lock on the output files. */
  release: () => void;
}

export async function planRun(opts: Options): Promise<Plan> {
  const source = await openSource(opts.file, {
    maxFieldBytes: opts.maxFieldBytes,
    ...(opts.delimiter === undefined ? {} : { delimiter: opts.delimiter }),
    ...(opts.encoding === undefined ? {} : { encoding: opts.encoding }),
    ...(opts.sheet === undefined ? {} : { sheet: opts.sheet }),
  });
  try {
    const mapping = resolveMapping(opts, source);
    const opened = await openOutputs(opts, source, mapping);
    return { source, mapping, ...opened };
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
    input: { path: resolve(opts.file), ...fingerprintFile(opts.file) },
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

async function openOutputs(opts: Options, source: Source, mapping: ResolvedMapping): Promise<Omit<Plan, 'source' | 'mapping'>> {
  const cell: CellFilter = opts.rawOutput ? (c) => c : neutralizeCell;
  const failureFormat = new FailureFormat(source.header, cell);
  const dry = opts.mode !== 'import';
  const release = acquireLock(`${dry ? opts.failures : opts.journal}.lock`, dry ? opts.failures : `${opts.results} and ${opts.failures}`);
  try {
    if (opts.resume) {
      const { journal, state } = await Journal.resume(opts.journal, jobIdentity(opts, source, mapping));
      const outputs = new Outputs(CsvLineFile.append(opts.failures), failureFormat, CsvLineFile.append(opts.results), journal, cell);
      return { outputs, resumed: state, release };
    }
    return { outputs: createOutputs(opts, source, mapping, failureFormat, cell), release };
  } catch (e) {
    release();
    throw e;
  }
}

function createOutputs(opts: Options, source: Source, mapping: ResolvedMapping, failureFormat: FailureFormat, cell: CellFilter): Outputs {
  try {
    const results = opts.mode === 'dry-run' ? undefined : CsvLineFile.create(opts.results, resultsHeaderLine());
    const failures = CsvLineFile.create(opts.failures, failureFormat.headerLine);
    const journal =
      opts.mode !== 'import'
        ? undefined
        : Journal.create(opts.journal, {
            format: JOURNAL_FORMAT,
            v: 1,
            identity: jobIdentity(opts, source, mapping),
            files: {
              results: { path: opts.results, header: resultsHeaderLine() },
              failures: { path: opts.failures, header: failureFormat.headerLine },
            },
            startedAt: new Date().toISOString(),
          });
    return new Outputs(failures, failureFormat, results, journal, cell);
  } catch (e) {
    // A folder that cannot be written, a full disk: nothing was sent yet, so this is a usage error.
    throw new UsageError(`cannot create the output files: ${(e as Error).message}`, { cause: e });
  }
}

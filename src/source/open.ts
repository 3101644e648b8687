// The source stage's front door: which reader a file gets (.xlsx workbooks the streaming sheet
// reader, everything else CSV), and what the rest of the program needs to know about sources.
// Both readers yield the same records, so the pipeline never knows the difference; only
// `source.format` says what the file is.
import { extname } from 'node:path';
import { openCsvSource } from './csv-source.js';
import { SourceError } from './errors.js';
import { isStreamInput, streamInputName } from './file.js';
import type { Source } from './types.js';

export type { Source, SourceFormat } from './types.js';

export interface SourceOptions {
  /** CSV only: a single character; undefined = sniff from the header. */
  delimiter?: string;
  /** CSV only: an encoding name; undefined = detect. */
  encoding?: string;
  maxFieldBytes?: number;
  /** .xlsx only: the worksheet's name; undefined = the first visible one. */
  sheet?: string;
  /** A stop (Ctrl-C, SIGTERM) ends a wait for the input's first bytes (a pipe nothing is written to yet). */
  signal?: AbortSignal;
}

export function isWorkbookPath(path: string): boolean {
  return extname(path).toLowerCase() === '.xlsx';
}

export async function openSource(path: string, opts: SourceOptions): Promise<Source> {
  const common = opts.maxFieldBytes === undefined ? {} : { maxFieldBytes: opts.maxFieldBytes };
  // Loaded only for workbooks: the zip and XML readers cost start-up time every CSV run would pay.
  if (isWorkbookPath(path)) {
    // A zip is read from its end (its directory): a pipe would have to be kept whole first.
    if (isStreamInput(path)) {
      throw new SourceError(`${streamInputName(path)} cannot be read as an .xlsx workbook: a workbook is read from its end, which a pipe does not have until it is over; save it to a file and import that, or export the sheet as CSV`);
    }
    return (await import('./xlsx-source.js')).openXlsxSource(path, { ...common, ...(opts.sheet === undefined ? {} : { sheet: opts.sheet }) });
  }
  return openCsvSource(path, {
    ...common,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.delimiter === undefined ? {} : { delimiter: opts.delimiter }),
    ...(opts.encoding === undefined ? {} : { encoding: opts.encoding }),
  });
}

/** "sheet "Contacts"" or "utf-8, delimiter ";"", for the line printed before a run. */
export function describeSource(s: Source): string {
  const f = s.format;
  if (f.kind === 'xlsx') return `sheet ${JSON.stringify(f.sheet)}`;
  const delim = f.delimiter === '\t' ? 'tab' : JSON.stringify(f.delimiter);
  const header = f.headerLine === undefined ? '' : `, header on line ${f.headerLine}: the ${f.headerLine - 1} ${f.headerLine === 2 ? 'line' : 'lines'} before it skipped`;
  return `${f.encoding}, delimiter ${delim}${header}`;
}

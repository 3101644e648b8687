// Which reader a file gets: .xlsx workbooks the streaming sheet reader, everything else CSV.
// Both yield the same records, so the rest of the pipeline never knows the difference.
import { extname } from 'node:path';
import { openCsvSource, type CsvSource } from './csv-source.js';

export interface SourceOptions {
  delimiter?: string;
  encoding?: string;
  maxFieldBytes?: number;
  sheet?: string;
}

export interface Source extends CsvSource {
  /** Set for a workbook: the sheet read, as the workbook spells it. */
  sheet?: string;
}

export function isWorkbookPath(path: string): boolean {
  return extname(path).toLowerCase() === '.xlsx';
}

export async function openSource(path: string, opts: SourceOptions): Promise<Source> {
  const common = opts.maxFieldBytes === undefined ? {} : { maxFieldBytes: opts.maxFieldBytes };
  // Loaded only for workbooks: the zip and XML readers cost start-up time every CSV run would pay.
  if (isWorkbookPath(path)) return (await import('./xlsx-source.js')).openXlsxSource(path, { ...common, ...(opts.sheet === undefined ? {} : { sheet: opts.sheet }) });
  return openCsvSource(path, {
    ...common,
    ...(opts.delimiter === undefined ? {} : { delimiter: opts.delimiter }),
    ...(opts.encoding === undefined ? {} : { encoding: opts.encoding }),
  });
}

/** "sheet "Contacts"" or "utf-8, delimiter ";"", for the line printed before a run. */
export function describeSource(s: Source): string {
  if (s.sheet !== undefined) return `sheet ${JSON.stringify(s.sheet)}`;
  const delim = s.delimiter === '\t' ? 'tab' : JSON.stringify(s.delimiter);
  return `${s.encoding}, delimiter ${delim}`;
}

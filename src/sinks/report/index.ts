// The HTML report (`--report FILE.html`): one self-contained page a person opens after a dry run
// or an import, to see what happened without reading CSV files.
//
// Two halves: collect.ts keeps bounded samples while the rows go by, render.ts turns what it kept
// into the page. wiring.ts feeds the collector from the pipeline's objects (the mapping, which
// cell to highlight). writeReport, below, puts the page on disk.

import { writePrivateFile } from '../private-file.js';
import type { ReportData } from './collect.js';
import { renderReport } from './render.js';

export {
  REPORT_MAX_CELL_CHARS,
  REPORT_MAX_COLUMNS,
  REPORT_MAX_PROBLEM_ROWS,
  REPORT_MAX_SAMPLES,
  ReportCollector,
  type ReportData,
  type ReportInfo,
  type ReportMappingEntry,
  type ReportProblemInput,
  type ReportProblemRow,
  type ReportSource,
  type ReportSummary,
} from './collect.js';
export { esc, renderReport } from './render.js';
export { REPORT_BAD_CELL_COLOR } from './styles.js';
export { problemColumn, reportMapping, type MappingLike } from './wiring.js';

/**
 * Writes the page with mode 0600 (it holds personal data). Written beside the target and renamed
 * over it, so the mode holds even when a file with looser permissions was there, a link there is
 * replaced rather than followed, and a reader never sees half a page.
 */
export function writeReport(path: string, data: ReportData): void {
  writePrivateFile(path, renderReport(data));
}

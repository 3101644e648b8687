// Reading the header line's text before the parser starts: where the first record ends, and which
// delimiter it uses.

export const DELIMITER_CANDIDATES = [',', ';', '\t', '|'] as const;

/**
 * Picks the delimiter that occurs most often, outside quotes, in the header. Header lines are
 * short and made of names, so the count there is a reliable signal; a tie goes to the earlier
 * candidate (comma first).
 */
export function sniffDelimiter(headerLine: string): string {
  const counts = new Map<string, number>();
  let inQuotes = false;
  for (const ch of headerLine) {
    if (ch === '"') inQuotes = !inQuotes;
    else if (!inQuotes && (DELIMITER_CANDIDATES as readonly string[]).includes(ch)) {
      counts.set(ch, (counts.get(ch) ?? 0) + 1);
    }
  }
  let best = ',';
  let bestCount = 0;
  for (const d of DELIMITER_CANDIDATES) {
    const c = counts.get(d) ?? 0;
    if (c > bestCount) {
      best = d;
      bestCount = c;
    }
  }
  return best;
}

/**
 * The text of the first record: blank lines skipped as the parser skips them, and a line break
 * inside quotes kept (a header cell may hold one).
 */
export function firstRecordText(text: string): string {
  const start = text.search(/[^\r\n]/);
  if (start === -1) return '';
  let inQuotes = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) inQuotes = !inQuotes;
    else if (!inQuotes && (c === 0x0a || c === 0x0d)) return text.slice(start, i);
  }
  return text.slice(start);
}

/**
 * The line to sniff the delimiter from: the first record, or, when it holds no candidate
 * delimiter at all (a preamble line such as LinkedIn's "Notes:"), the first of the next few that
 * holds one candidate at least twice (a header of three columns or more: a value of a one-column
 * file with a `;` in it is not taken for a header). When the first record holds a candidate once
 * (`Exported by CRM v2, 2024-05-01` above a `;` table), a later line is taken only when it holds
 * one candidate at least twice, more often than the first record, and the lines after it (up to
 * 3, at least 1) hold it as often: a table, not a note with a few `;` in it; and never when the
 * next record holds the first one's delimiter as often (a two-column table). `maxRecords` bounds
 * the search.
 */
export function delimiterLine(text: string, maxRecords: number): string {
  const first = firstRecordText(text);
  const firstCounts = candidateCounts(first);
  const firstMost = Math.max(0, ...firstCounts.values());
  if (firstMost >= 2) return first;
  const records: string[] = [];
  let rest = text;
  let record = first;
  for (let i = 0; i < maxRecords + CONFIRM_LINES && record !== ''; i++) {
    rest = rest.slice(rest.indexOf(record) + record.length);
    record = firstRecordText(rest);
    if (record !== '') records.push(record);
  }
  // A first record that the next one matches (`Email,Groups` over `a@x.com,g1;g2;g3`) is the header.
  if (firstMost === 1 && records.length > 0) {
    const next = candidateCounts(records[0]!);
    for (const [d, c] of firstCounts) if (c === 1 && next.get(d) === 1) return first;
  }
  for (let i = 0; i < Math.min(records.length, maxRecords); i++) {
    const counts = candidateCounts(records[i]!);
    if (firstMost === 0) {
      if (Math.max(0, ...counts.values()) >= 2) return records[i]!;
      continue;
    }
    for (const [d, c] of counts) {
      if (c < 2 || c <= (firstCounts.get(d) ?? 0)) continue;
      const following = records.slice(i + 1, i + 1 + CONFIRM_LINES);
      if (following.length > 0 && following.every((r) => candidateCounts(r).get(d) === c)) return records[i]!;
    }
  }
  return first;
}

/** Lines after a candidate header line that must hold its delimiter as often (csv-layout's HEADER_CONFIRM_ROWS). */
const CONFIRM_LINES = 3;

/** How often each candidate delimiter occurs outside quotes. */
function candidateCounts(line: string): Map<string, number> {
  const counts = new Map<string, number>();
  let inQuotes = false;
  for (const ch of line) {
    if (ch === '"') inQuotes = !inQuotes;
    else if (!inQuotes && (DELIMITER_CANDIDATES as readonly string[]).includes(ch)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  }
  return counts;
}

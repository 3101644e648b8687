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
 * file with a `;` in it is not taken for a header). `maxRecords` bounds the search.
 */
export function delimiterLine(text: string, maxRecords: number): string {
  const first = firstRecordText(text);
  if (mostCandidates(first) > 0) return first;
  let rest = text;
  let record = first;
  for (let i = 0; i < maxRecords && record !== ''; i++) {
    rest = rest.slice(rest.indexOf(record) + record.length);
    record = firstRecordText(rest);
    if (mostCandidates(record) >= 2) return record;
  }
  return first;
}

/** How often the most frequent candidate delimiter occurs outside quotes. */
function mostCandidates(line: string): number {
  const counts = new Map<string, number>();
  let inQuotes = false;
  for (const ch of line) {
    if (ch === '"') inQuotes = !inQuotes;
    else if (!inQuotes && (DELIMITER_CANDIDATES as readonly string[]).includes(ch)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  }
  return Math.max(0, ...counts.values());
}

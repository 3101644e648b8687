// The cells of a line that broke the CSV rules (a stray quote), recovered as well as a person
// would read them, so the failures file shows the row in its columns, ready to fix in a
// spreadsheet and feed back, instead of an empty row with the text only in `_message`.

/**
 * Splits one physical line at `delimiter`: a value that opens with `"` and closes with `"` right
 * before a delimiter (or the end) is read as quoted (`""` inside is one quote); any other quote,
 * the stray one included, is kept as text. Returns undefined unless the line has exactly `width`
 * cells: a guess that shifts columns would put data under the wrong header.
 */
export function salvageCells(line: string, delimiter: string, width: number): string[] | undefined {
  const cells: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    if (line[i] === '"') {
      const end = closingQuote(line, i + 1, delimiter);
      if (end !== undefined) {
        cells.push(line.slice(i + 1, end).replaceAll('""', '"'));
        i = end + 1;
        if (i >= n) break;
        i += delimiter.length;
        continue;
      }
    }
    const next = line.indexOf(delimiter, i);
    if (next < 0) {
      cells.push(line.slice(i));
      break;
    }
    cells.push(line.slice(i, next));
    i = next + delimiter.length;
    if (cells.length > width) return undefined;
  }
  return cells.length === width ? cells : undefined;
}

/** The index of the quote that closes a value opened before `from`, or undefined when none on this line does. */
function closingQuote(line: string, from: number, delimiter: string): number | undefined {
  for (let j = line.indexOf('"', from); j >= 0; j = line.indexOf('"', j + 1)) {
    if (line[j + 1] === '"') {
      j++;
      continue;
    }
    if (j + 1 === line.length || line.startsWith(delimiter, j + 1)) return j;
  }
  return undefined;
}

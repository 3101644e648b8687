// The dry run's ceiling: csv-parse alone on the same file, streaming, records as arrays, the same
// delimiter, no `info`, no mapping, nothing written. Run as a child process (fresh JIT, like the
// importer). Prints one JSON line: {"rows": N, "ms": T} (T from the first read to the last record).
//   node bench/ceiling-csv.mjs FILE [delimiter]
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';

const [file, delimiter = ','] = process.argv.slice(2);
const started = performance.now();
let rows = 0;
const parser = parse({ delimiter, bom: true });
parser.on('data', () => rows++);
await new Promise((resolve, reject) => {
  parser.on('end', resolve);
  parser.on('error', reject);
  createReadStream(file, { highWaterMark: 64 * 1024 }).on('error', reject).pipe(parser);
});
const ms = performance.now() - started;
process.stdout.write(JSON.stringify({ rows: rows - 1, ms }) + '\n');

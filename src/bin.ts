#!/usr/bin/env node
// A thin bin: exitCode rather than process.exit(), so every output stream flushes first.
import { setFlagsFromString } from 'node:v8';
import { main } from './cli.js';

// Peak memory: an import allocates tens of KB a row but keeps only ~13 MB alive, and V8, seeing
// that allocation rate, lets the old generation grow to about 4× the live heap between full
// collections (86 MB committed in a 100k-row live import). Growing by 1.3× instead kept peak RSS
// ~30 MB lower at the same rows/s (bench/README.md). V8 reads this flag at every full GC, so
// setting it now is safe; a --heap-growing-percent given to node wins.
if (!process.execArgv.some((a) => a.startsWith('--heap-growing-percent')) && !(process.env.NODE_OPTIONS ?? '').includes('--heap-growing-percent')) {
  setFlagsFromString('--heap-growing-percent=30');
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`livedesk-import: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 70;
  },
);

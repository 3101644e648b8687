// Shows that one write() of a whole line is not atomic for a concurrent reader of a regular file:
// a writer thread appends 99-byte lines with writeSync for 4 s while a reader thread looks at the
// file's last byte as fast as it can. On Linux every look that ends mid-line ends on a 4 KiB page
// boundary (the size moves page by page while the write is copied in).
//   node bench/page-boundary.mjs [file]     (default bench/data/page-boundary.txt, deleted after)
import { closeSync, fstatSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

if (isMainThread) {
  const path = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), 'data', 'page-boundary.txt');
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'w');
  const reader = new Worker(new URL(import.meta.url), { workerData: path });
  await new Promise((resolve) => reader.once('online', resolve));
  const line = 'x'.repeat(90) + '\n';
  let lines = 0;
  const until = performance.now() + 4000;
  while (performance.now() < until) writeSync(fd, `${String(lines++).padStart(8, '0')}${line}`);
  closeSync(fd);
  reader.postMessage('stop');
  const r = await new Promise((resolve) => reader.once('message', resolve));
  await reader.terminate();
  rmSync(path, { force: true });
  console.log(`${lines} lines written (one writeSync each); ${r.looks} looks, ${r.midLine} ended mid-line, ${r.atPageBoundary} of them at a 4 KiB boundary`);
} else {
  let stop = false;
  parentPort.on('message', () => (stop = true));
  const fd = openSync(workerData, 'r');
  const buf = Buffer.alloc(1);
  const r = { looks: 0, midLine: 0, atPageBoundary: 0 };
  const loop = () => {
    for (let k = 0; k < 2000; k++) {
      const size = fstatSync(fd).size;
      if (size === 0) continue;
      readSync(fd, buf, 0, 1, size - 1);
      r.looks++;
      if (buf[0] !== 10) {
        r.midLine++;
        if (size % 4096 === 0) r.atPageBoundary++;
      }
    }
    if (stop) {
      closeSync(fd);
      parentPort.postMessage(r);
    } else setImmediate(loop);
  };
  loop();
}

// A worker thread of the map stage (see parallel.ts): it receives batches of rows' cells and
// answers with mapRow's verdict for each, in order. Mapping is pure, so a worker needs only the
// mapping and options it was started with.
import { parentPort, workerData } from 'node:worker_threads';
import { restoreCell } from '../security/formula.js';
import { mapRow, type MapOptions, type Validation } from './validate.js';
import type { ResolvedMapping } from './mapping.js';
import type { BatchReply, BatchRequest } from './parallel.js';

export interface WorkerInit {
  mapping: ResolvedMapping;
  options: MapOptions;
  /** Take the formula guard (') off each cell first: a fed-back failures file. */
  restoreFormulas: boolean;
}

const port = parentPort;
if (port === null) throw new Error('map/worker.js is a worker thread entry; it cannot run on its own');
const { mapping, options, restoreFormulas } = workerData as WorkerInit;

port.on('message', (req: BatchRequest) => {
  const rows = JSON.parse(req.rows) as string[][];
  const results = new Array<Validation>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const values = rows[i]!;
    results[i] = mapRow(restoreFormulas ? values.map(restoreCell) : values, mapping, options);
  }
  port.postMessage({ id: req.id, results: JSON.stringify(results) } satisfies BatchReply);
});
// Module loading (libphonenumber-js's metadata above all) is done: batches can come now.
port.postMessage({ ready: true });

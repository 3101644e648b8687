// A look at a store file's two LMDB meta pages before LMDB maps it.
//
// lmdb-js does not survive a file that is not LMDB's (it crashes the process with SIGSEGV), nor one
// cut short (SIGBUS when a page past the end is read): `--state` pointed at the wrong file, or a
// copy that stopped half-way. So the store reads both meta pages itself first and refuses what
// LMDB would not read safely. What it cannot see is damage inside pages of the right size: LMDB
// keeps no checksums (a kill -9 never causes that; a disk or a hand can).
import { constants, promises as fsp } from 'node:fs';
import { StateStoreError } from './files.js';

const MAGIC = 0xbeefc0de;
/** The data format of the LMDB inside lmdb 3.x. */
const DATA_VERSION = 2;
/** Offsets inside a meta page (64-bit build): page header, then MDB_meta. */
const META = 0x18;
const PSIZE = META + 24; // mm_dbs[FREE_DBI].md_pad
const LAST_PG = META + 120;
const TXNID = META + 128;

interface Meta {
  lastPage: number;
  txnid: number;
}

function readMeta(buf: Buffer, at: number): Meta | string {
  if (buf.length < at + TXNID + 8) return 'too short';
  if (buf.readUInt32LE(at + META) !== MAGIC) return 'no LMDB meta page';
  const version = buf.readUInt32LE(at + META + 4);
  if (version !== DATA_VERSION) return `LMDB data version ${version}, not ${DATA_VERSION}`;
  return { lastPage: Number(buf.readBigUInt64LE(at + LAST_PG)), txnid: Number(buf.readBigUInt64LE(at + TXNID)) };
}

/**
 * Refuses a non-empty file that LMDB could not map safely. An empty file (just created) passes:
 * LMDB makes a new store in it.
 */
export async function checkStoreFile(file: string): Promise<void> {
  const handle = await fsp.open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  let problem: string | undefined;
  try {
    const { size } = await handle.stat();
    if (size === 0) return;
    const buf = Buffer.alloc(Math.min(size, 2 * 65536));
    await handle.read(buf, 0, buf.length, 0);
    const pageSize = buf.length >= PSIZE + 4 ? buf.readUInt32LE(PSIZE) : 0;
    if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
      problem = 'no LMDB header';
    } else if (size < 2 * pageSize) {
      problem = `only ${size} bytes`;
    } else {
      const metas = [readMeta(buf, 0), readMeta(buf, pageSize)];
      const bad = metas.find((m): m is string => typeof m === 'string');
      if (bad !== undefined) problem = bad;
      else {
        // Every page a meta page points into must be inside the file (else: SIGBUS on reading it).
        const last = Math.max(...(metas as Meta[]).map((m) => m.lastPage));
        if ((last + 1) * pageSize > size) {
          problem = `cut short: ${size} bytes, its pages reach ${(last + 1) * pageSize}`;
        }
      }
    }
  } finally {
    await handle.close();
  }
  if (problem !== undefined) {
    throw new StateStoreError(
      `State store ${file} is not a livedesk-import state store, or it is damaged (${problem}): ` +
        'refused, and left as it is. Point --state elsewhere; if it is a damaged store in the state folder, `livedesk-import state forget --inbox-id ID` removes it',
      { code: 'state_damaged' },
    );
  }
}

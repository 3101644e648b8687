// Deterministic, realistic contact CSVs for the benchmark (~150 bytes a row): a CRM export with
// a full name, an email, a formatted phone number (US, UK or German, valid for libphonenumber-js), a customer ID, a company (sometimes quoted, it
// has a comma) and a quoted notes field with a comma. Every row is valid and unique (email, phone
// and identifier), so a live import creates every row and the stand-in never answers 422.
//
//   node bench/gen.mjs 100000 [file]     writes bench/data/contacts-v2-100000.csv unless it exists
import { createWriteStream, existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DATA_DIR = join(dirname(fileURLToPath(import.meta.url)), 'data');
export const HEADER = 'Full Name,Email,Phone,Customer ID,Company,Notes';

const FIRST = ['Ada', 'Grace', 'Alan', 'Amelia', 'Chidi', 'Sofia', 'Mateo', 'Yuki', 'Priya', 'Lars', 'Fatima', 'Noah', 'Olga', 'Kwame', 'Lucía', 'Hannah', 'Ravi', 'Mei', 'Jonas', 'Aisha'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Okafor', 'García', 'Rossi', 'Tanaka', 'Patel', 'Eriksson', 'Haddad', 'Müller', 'Ivanova', 'Mensah', 'Fernández', 'Schmidt', 'Kumar', 'Chen', 'Novak', 'Ali', "O'Brien"];
const COMPANY = ['Northwind Traders', '"Acme, Inc."', 'Globex Corporation', 'Initech', '"Umbrella Health, GmbH"', 'Stark Industries', 'Wayne Enterprises', 'Hooli', 'Vandelay Industries', 'Cyberdyne Systems'];
const NOTES = [
  '"Met at the 2024 expo, wants a demo of the analytics add-on"',
  '"Prefers email, not phone; renewal due in Q3"',
  '"Referred by a partner, asked about SSO and pricing"',
  '"Called twice about billing, resolved; send the invoice copy"',
  '"VIP account, escalate tickets to the second line"',
  '"Newsletter signup, no purchase yet"',
];

/** Row i (0-based) of every benchmark file; the same i always gives the same row. */
export function row(i) {
  const first = FIRST[i % FIRST.length];
  const last = LAST[Math.floor(i / FIRST.length) % LAST.length];
  const n = String(i).padStart(7, '0'); // 7 digits: unique up to 10M rows
  const email = `${first}.${last}.${n}@example-mail.com`.toLowerCase().replace(/[^a-z0-9.@-]/g, 'x');
  return `${first} ${last},${email},${phone(i, n)},CUST-${n},${COMPANY[i % COMPANY.length]},${NOTES[i % NOTES.length]}`;
}

const US_AREAS = ['212', '213', '312', '415', '617', '646', '718', '305', '206', '512'];

/**
 * A phone number that libphonenumber-js (max metadata) accepts as valid, unique per row, written
 * as people write them: 40% US, 30% UK mobile, 30% German mobile.
 */
function phone(i, n) {
  const kind = i % 10;
  if (kind < 4) {
    // Exchange 220..320 without 311 (N11 codes are not exchanges).
    let exchange = 220 + Number(n.slice(1, 3));
    if (exchange >= 311) exchange++;
    return `+1 ${US_AREAS[Number(n[0])]}-${exchange}-${n.slice(3)}`;
  }
  if (kind < 7) return `+44 740${n[0]} ${n.slice(1, 4)} ${n.slice(4)}`;
  return `+49 1512 ${n}`;
}

/**
 * The JSON body the importer sends for row i: its normalized fields (phone formatting removed),
 * in the importer's key order ({inbox_id, ...contact}, contact in normalizeContact's order). The
 * undici ceiling sends exactly these; the benchmark checks a sample against what the importer sent.
 */
export function body(i, inboxId = 407) {
  const [name, email, phoneNumber, identifier] = row(i).split(',', 4);
  return JSON.stringify({ inbox_id: inboxId, name, email, phone_number: phoneNumber.replace(/[ ()-]/g, ''), identifier });
}

/** Bumped whenever row() changes, so a file made by an older generator is never reused. */
const GENERATOR_VERSION = 2;

export function dataFile(rows) {
  return join(DATA_DIR, `contacts-v${GENERATOR_VERSION}-${rows}.csv`);
}

/** Writes the file (once: an existing complete file is reused). Returns its path and size. */
export async function generate(rows, path = dataFile(rows)) {
  if (existsSync(path)) return { path, bytes: statSync(path).size, reused: true };
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  const out = createWriteStream(tmp);
  let chunk = HEADER + '\n';
  for (let i = 0; i < rows; i++) {
    chunk += row(i) + '\n';
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'close');
  renameSync(tmp, path); // a file that exists is complete
  return { path, bytes: statSync(path).size, reused: false };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = Number(process.argv[2] ?? 10000);
  const r = await generate(rows, process.argv[3]);
  console.log(`${r.reused ? 'reused' : 'wrote'} ${r.path}: ${rows} rows, ${r.bytes} bytes (${(r.bytes / rows).toFixed(0)} bytes/row)`);
}

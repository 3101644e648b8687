// `npm run demo`: start the LiveDesk stand-in on a free loopback port, import samples/contacts.csv
// into it with the real CLI, show where the outputs are, then stop the stand-in.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStandin } from '../dist/standin/server.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const input = join(root, 'samples', 'contacts.csv');
const results = join(root, 'samples', 'contacts.results.csv');
const failures = join(root, 'samples', 'contacts.failures.csv');
// Demo-only credentials for the local stand-in; real ones come from your environment.
const apiKey = 'demo-key';
// Each demo starts clean: an earlier demo's outputs (and the copies a finished run is kept under)
// are removed, so samples/ never fills with them. A real run never deletes anything.
for (const f of readdirSync(join(root, 'samples'))) {
  if (/^contacts\.(results|failures|journal)(\..+Z)?\.(csv|jsonl)$/.test(f)) rmSync(join(root, 'samples', f));
}
const apiSecret = 'demo-secret';

const standin = await startStandin({ port: 0, apiKey, apiSecret, inboxIds: [407], faults: { latencyMs: 20, latencyJitterMs: 30 } });
console.log(`LiveDesk stand-in running at ${standin.url} (inbox 407)\n`);
console.log(`$ livedesk-import samples/contacts.csv --inbox-id 407 --base-url ${standin.url}\n`);

const code = await new Promise((resolve) => {
  const child = spawn(process.execPath, [join(root, 'dist', 'bin.js'), input, '--inbox-id', '407', '--base-url', standin.url, '--results', results, '--failures', failures], {
    // A state store of the demo's own: its stand-in's port is new every time, so a store in the
    // user's state folder would only collect files.
    env: { ...process.env, LIVEDESK_API_KEY: apiKey, LIVEDESK_API_SECRET: apiSecret, XDG_STATE_HOME: mkdtempSync(join(tmpdir(), 'livedesk-demo-state-')) },
    stdio: 'inherit',
  });
  child.on('exit', (c) => resolve(c ?? 1));
});

const stored = standin.contacts().length;
await standin.close();
const head = (p, n) => readFileSync(p, 'utf8').split('\n').slice(0, n).join('\n');
console.log(`\nThe importer exited with code ${code} (1 = finished, some rows failed: the sample has a few bad rows on purpose).`);
console.log(`The stand-in now holds ${stored} contacts.\n`);
console.log(`Results (${relative(process.cwd(), results)}), first lines:\n${head(results, 6)}\n`);
console.log(`Failures (${relative(process.cwd(), failures)}), fix these rows and feed the file back in:\n${head(failures, 8)}`);
process.exitCode = code === 0 || code === 1 ? 0 : code;

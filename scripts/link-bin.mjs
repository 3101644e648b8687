// npm never links a package's own "bin" into its own node_modules/.bin, yet a fresh clone
// should have `node_modules/.bin/livedesk-import` after `npm ci`. This runs after the build
// (from `prepare`) and makes that link; outside a checkout (an installed package) it does nothing.
import { chmodSync, existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'dist', 'bin.js');
const binDir = join(root, 'node_modules', '.bin');
if (existsSync(target)) chmodSync(target, 0o755);
if (existsSync(join(root, 'node_modules')) && existsSync(target)) {
  mkdirSync(binDir, { recursive: true });
  const link = join(binDir, 'livedesk-import');
  rmSync(link, { force: true });
  symlinkSync(relative(binDir, target), link);
}

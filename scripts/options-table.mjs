// Prints the flags table of docs/options.md ("| flag | default | meaning |") from the option table
// (src/options/table.ts), the one place options are declared: paste its output over the old table.
// Reads the compiled module, so run `npm run build` first (or pass `--dist DIR`, a tsc output).
//   node scripts/options-table.mjs
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const distArg = process.argv.indexOf('--dist');
const dist = distArg > 0 ? resolve(process.argv[distArg + 1]) : join(root, 'dist');
const { markdownTable } = await import(pathToFileURL(join(dist, 'options', 'help.js')).href);
process.stdout.write(markdownTable() + '\n');

// The soak script at a small size: every fault at once plus kill -9s and resumes (issue 4).
// The full run (20,000 rows, five kills) is `node scripts/soak.mjs`.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from './helpers/cli.js';

it('all faults at once, killed twice and resumed: every row once, every contact once', () => {
  const run = spawnSync(process.execPath, [join(ROOT, 'scripts', 'soak.mjs'), '--rows', '800', '--kills', '2', '--limit', '100', '--seed', '3'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(run.stdout, run.stderr).not.toMatch(/FAIL/);
  expect(run.stdout).toMatch(/PASS {2}every input row exactly once/);
  expect(run.status).toBe(0);
});

// Issue 12, finding 9: scheduled runs never go through npx, keep their files private, and alert on
// anything but 0 and 1 from the importer itself. The script is taken from docs/options.md as
// published and run with fake importers, so the docs cannot drift from what was tried.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.js';

const docs = ['README.md', ...['options', 'mapping', 'outputs', 'standin', 'errors', 'security'].map((d) => `docs/${d}.md`)];

/** The command lines of every fenced code block of a markdown file. */
function codeLines(text: string): string[] {
  return [...text.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split('\n'));
}

describe('scheduling without npx', () => {
  it('no example command runs the tool through npx', () => {
    for (const d of docs) {
      const lines = codeLines(readFileSync(join(ROOT, d), 'utf8')).filter((l) => !l.trim().startsWith('#'));
      expect(lines.filter((l) => /\bnpx\s+livedesk-import\b/.test(l)), d).toEqual([]);
    }
  });

  it('the documented nightly script alerts on every exit but 0 and 1, and keeps its log private', () => {
    const text = readFileSync(join(ROOT, 'docs/options.md'), 'utf8');
    const script = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!).find((s) => s.includes('livedesk-nightly'));
    expect(script).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'ldi-nightly-'));
    const bin = join(dir, 'livedesk-import');
    const log = join(dir, 'log', 'output.log');
    mkdirSync(join(dir, 'log'));
    const wrapper = join(dir, 'livedesk-nightly');
    writeFileSync(
      wrapper,
      script!
        .replace(/^BIN=.*$/m, `BIN=${bin}`)
        .replace(/^LOG=.*$/m, `LOG=${log}`)
        .replace(/^JOB=.*$/m, `JOB=${join(dir, 'job.yaml')}`),
    );
    chmodSync(wrapper, 0o755);
    const fake = (code: number): void => {
      // --version answers 0; the run itself exits with `code`.
      writeFileSync(bin, `#!/bin/sh\n[ "$1" = --version ] && exit 0\necho "run $*"\nexit ${code}\n`);
      chmodSync(bin, 0o755);
    };
    const run = (): { code: number | null; stderr: string } => {
      const r = spawnSync('/bin/sh', [wrapper], { encoding: 'utf8' });
      return { code: r.status, stderr: r.stderr };
    };
    for (const code of [0, 1]) {
      fake(code);
      expect(run()).toEqual({ code: 0, stderr: '' });
    }
    for (const code of [2, 3, 70, 130, 143]) {
      fake(code);
      const r = run();
      expect(r.code, `importer exit ${code}`).toBe(code);
      expect(r.stderr).toMatch(new RegExp(`exit ${code}`));
    }
    expect(statSync(log).mode & 0o777).toBe(0o600);
    expect(readFileSync(log, 'utf8')).toContain(`run --config ${join(dir, 'job.yaml')}`);
    // A broken install: node itself exits 1 before the importer runs.
    writeFileSync(bin, '#!/bin/sh\nexit 1\n');
    expect(run().code).not.toBe(0);
    writeFileSync(bin, '');
    chmodSync(bin, 0o644);
    const missing = run();
    expect(missing.code).toBe(127);
    expect(missing.stderr).toMatch(/missing or not executable/);
  });
});

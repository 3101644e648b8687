// The build (scripts/build.mjs, `npm run build`): one esbuild bundle made from the dependencies as
// published. Nothing rewrites a dependency's code; yargs loads from node_modules, so that its
// --version and locale lookups work from wherever the tool is run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const BIN = join(DIST, 'bin.js');

describe('the build', () => {
  it('replaces no dependency code: no load hook, no patch script', () => {
    const script = readFileSync(join(ROOT, 'scripts', 'build.mjs'), 'utf8');
    expect(script).not.toMatch(/onLoad\s*\(/);
    expect(readdirSync(join(ROOT, 'scripts')).filter((f) => /patch/i.test(f))).toEqual([]);
  });

  it('writes the bundle only: no per-file tsc output, no copied locales', () => {
    expect(existsSync(BIN), 'dist/bin.js is missing: run npm run build').toBe(true);
    const code = readFileSync(BIN, 'utf8');
    expect(code).toMatch(/from\s*"\.\/chunk-[\w-]+\.js"/); // the esbuild bundle, not a tsc file
    expect(code).toMatch(/from\s*"yargs"/); // yargs from node_modules, not bundled
    expect(existsSync(join(DIST, 'locales'))).toBe(false);
    expect(existsSync(join(DIST, 'cli.js'))).toBe(false);
    const declarations = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? declarations(join(dir, e.name)) : e.name.endsWith('.d.ts') ? [e.name] : []));
    expect(declarations(DIST)).toEqual([]);
  });

  it('prints this package’s version from any working directory', () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const elsewhere = mkdtempSync(join(tmpdir(), 'ldi-build-'));
    try {
      const run = spawnSync(process.execPath, [BIN, '--version'], { cwd: elsewhere, encoding: 'utf8' });
      expect(run.status).toBe(0);
      expect(run.stdout.trim()).toBe(version);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});

// The build-time patch of libphonenumber-js's matchesEntirely() (scripts/phone-regexp-patch.mjs):
// it applies to the installed version, answers exactly as upstream, refuses code it was not
// written for, and is in the bundle.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MATCHES_ENTIRELY_FILTER, PHONE_PATCH_MARKER, patchMatchesEntirely } from '../scripts/phone-regexp-patch.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PKG = dirname(createRequire(import.meta.url).resolve('libphonenumber-js/package.json'));
const FLAVOURS = ['es6', 'es6-modern', 'build', 'source'].map((f) => join(PKG, f, 'helpers', 'matchesEntirely.js')).filter((p) => existsSync(p));

type Matches = (text: unknown, pattern: unknown) => boolean;

/** Evaluates one flavour's source (ESM or CommonJS) and returns its matchesEntirely. */
function load(source: string): Matches {
  if (/\bexports\[?/.test(source) && !/^export /m.test(source)) {
    const exports: { default?: Matches } = {};
    new Function('exports', source)(exports);
    return exports.default!;
  }
  const body = source.replace(/^export default function /m, 'function ').replace(/^export default matchesEntirely;?$/m, '');
  return new Function(`${body}\nreturn matchesEntirely;`)() as Matches;
}

/** Every regular expression text in the max metadata (the patterns matchesEntirely is given). */
function metadataPatterns(): string[] {
  const metadata = JSON.parse(readFileSync(join(PKG, 'metadata.max.json'), 'utf8')) as unknown;
  const found = new Set<string>();
  const walk = (x: unknown): void => {
    if (typeof x === 'string') {
      if (/[\\[\]()|?*+{}]/.test(x)) found.add(x);
    } else if (x && typeof x === 'object') for (const v of Object.values(x)) walk(v);
  };
  walk(metadata);
  return [...found];
}

function texts(): unknown[] {
  const examples = Object.values(JSON.parse(readFileSync(join(PKG, 'examples.mobile.json'), 'utf8')) as Record<string, string>);
  let seed = 7;
  const digit = (): string => String((seed = (seed * 1103515245 + 12345) % 2 ** 31) % 10);
  const random = Array.from({ length: 60 }, (_, i) => Array.from({ length: i % 16 }, digit).join(''));
  return [...examples.slice(0, 120), ...examples.slice(0, 40).map((e) => e.slice(1)), ...random, '', undefined, null, 0, 12345, '+1 202'];
}

describe('libphonenumber-js matchesEntirely RegExp cache (build patch)', () => {
  it('applies to every flavour of the installed libphonenumber-js', () => {
    expect(FLAVOURS.length).toBeGreaterThan(0);
    for (const p of FLAVOURS) {
      expect(MATCHES_ENTIRELY_FILTER.test(p)).toBe(true);
      expect(patchMatchesEntirely(readFileSync(p, 'utf8'), p)).toContain(PHONE_PATCH_MARKER);
    }
  });

  it('answers exactly as upstream for every metadata pattern, repeatedly (cache hits)', () => {
    const patterns = metadataPatterns();
    expect(patterns.length).toBeGreaterThan(500);
    const inputs = texts();
    for (const p of FLAVOURS.filter((f) => /[\\/](es6|build)[\\/]/.test(f))) {
      const source = readFileSync(p, 'utf8');
      const upstream = load(source);
      const patched = load(patchMatchesEntirely(source, p));
      let matched = 0;
      for (let round = 0; round < 2; round++) {
        for (const pattern of patterns) {
          for (const text of inputs) {
            const want = upstream(text, pattern);
            if (patched(text, pattern) !== want) throw new Error(`${p}: ${JSON.stringify(text)} against ${pattern}: patched ≠ upstream (${want})`);
            if (want) matched++;
          }
        }
      }
      expect(matched).toBeGreaterThan(1000); // the inputs do exercise matches, not only misses
      // Not a string (never in practice): same answer, uncached.
      expect(patched('undefined', undefined)).toBe(upstream('undefined', undefined));
      expect(() => patched('1', '(')).toThrow(SyntaxError);
    }
  });

  it('refuses code it was not written for, so an upgrade is noticed', () => {
    const p = FLAVOURS[0]!;
    const source = readFileSync(p, 'utf8');
    expect(() => patchMatchesEntirely(source.replace("text || ''", "text ?? ''"), p)).toThrow(/not the code/);
    expect(() => patchMatchesEntirely(source.replace(".test(text)", '.exec(text) !== null'), p)).toThrow(/not the code/);
    expect(() => patchMatchesEntirely('', p)).toThrow(/not the code/);
  });

  it('is in the bundle that dist/bin.js loads (npm run build)', () => {
    const dist = join(ROOT, 'dist');
    // dist/bin.js and the chunks it imports statically, transitively.
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const code = readFileSync(join(dist, file), 'utf8');
      for (const m of code.matchAll(/(?:from|import)\s*"\.\/(chunk-[\w-]+\.js)"/g)) visit(m[1]!);
    };
    visit('bin.js');
    expect(seen.size, 'dist/bin.js is not the esbuild bundle: run npm run build').toBeGreaterThan(1);
    const withPatch = [...seen].filter((f) => readFileSync(join(dist, f), 'utf8').includes(PHONE_PATCH_MARKER));
    expect(withPatch.length, 'the bundle has no RegExp cache: run npm run build').toBe(1);
    expect(readdirSync(dist)).toContain('locales');
  });
});

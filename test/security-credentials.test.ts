import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CredentialsError, loadCredentials } from '../src/security/credentials.js';

const KEY = 'ck-5f1e9a7c';
const SECRET = 'cs-Zx8#Qw3p';
const dir = mkdtempSync(join(tmpdir(), 'ldi-creds-'));
const posix = process.platform !== 'win32';
let n = 0;

function file(content: string, mode = 0o600): string {
  const p = join(dir, `c${++n}`);
  writeFileSync(p, content, { mode });
  chmodSync(p, mode);
  return p;
}

/** The thrown CredentialsError, checked never to carry the key, the secret or a piece of either. */
function refusal(run: () => unknown, ...secrets: string[]): CredentialsError {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(CredentialsError);
  // The message and the error's own properties; the stack adds only file paths.
  const text = `${(error as Error).message}\n${JSON.stringify(error)}`;
  for (const s of [KEY, SECRET, ...secrets]) {
    for (let i = 0; i + 4 <= s.length; i++) expect(text).not.toContain(s.slice(i, i + 4));
  }
  return error as CredentialsError;
}

describe('from the environment', () => {
  it('takes both variables, trimmed', () => {
    expect(loadCredentials({ LIVEDESK_API_KEY: ` ${KEY} `, LIVEDESK_API_SECRET: SECRET })).toEqual({ apiKey: KEY, apiSecret: SECRET, source: 'environment', warnings: [] });
  });

  it('names what is missing and how to give it', () => {
    const e = refusal(() => loadCredentials({ LIVEDESK_API_KEY: KEY, LIVEDESK_API_SECRET: '  ' }));
    expect(e.message).toMatch(/^LIVEDESK_API_SECRET must be set/);
    expect(e.message).toMatch(/--credentials-file/);
    expect(refusal(() => loadCredentials({})).message).toMatch(/^LIVEDESK_API_KEY and LIVEDESK_API_SECRET must be set/);
  });

  it('refuses a key with ":" or a secret with a line break, without showing either', () => {
    expect(refusal(() => loadCredentials({ LIVEDESK_API_KEY: `${KEY}:x`, LIVEDESK_API_SECRET: SECRET })).message).toMatch(/LIVEDESK_API_KEY .* contains ':'/);
    expect(refusal(() => loadCredentials({ LIVEDESK_API_KEY: KEY, LIVEDESK_API_SECRET: `${SECRET}\nx` })).message).toMatch(/LIVEDESK_API_SECRET .* control character/);
  });
});

describe('from --credentials-file', () => {
  it.each([
    ['plain dotenv', `LIVEDESK_API_KEY=${KEY}\nLIVEDESK_API_SECRET=${SECRET}\n`],
    ['export, quotes, comments, CRLF, other names', `# LiveDesk\r\nexport LIVEDESK_API_KEY="${KEY}"\r\nOTHER=1\r\n  LIVEDESK_API_SECRET = '${SECRET}'  # prod\r\n`],
    ['an inline comment after a space; "#" inside a value kept', `LIVEDESK_API_KEY=${KEY} # the key\nLIVEDESK_API_SECRET=${SECRET}\n`],
    ['escaped quote in double quotes', `LIVEDESK_API_KEY="${KEY}"\nLIVEDESK_API_SECRET="${SECRET}"`],
    ['JSON', JSON.stringify({ apiKey: KEY, apiSecret: SECRET })],
    ['JSON with the variable names, and a BOM', '\uFEFF' + JSON.stringify({ LIVEDESK_API_KEY: KEY, LIVEDESK_API_SECRET: SECRET }, null, 2)],
  ])('reads %s', (_name, content) => {
    const p = file(content);
    expect(loadCredentials({}, p)).toEqual({ apiKey: KEY, apiSecret: SECRET, source: `--credentials-file ${p}`, warnings: [] });
  });

  it('unescapes \\" and \\\\ in double quotes only', () => {
    const p = file(`LIVEDESK_API_KEY="a\\"b\\\\c"\nLIVEDESK_API_SECRET='d\\"e'`);
    expect(loadCredentials({}, p)).toMatchObject({ apiKey: 'a"b\\c', apiSecret: 'd\\"e' });
  });

  it('wins over the environment, says so, and never mixes the two', () => {
    const p = file(`LIVEDESK_API_KEY=${KEY}\nLIVEDESK_API_SECRET=${SECRET}\n`);
    const c = loadCredentials({ LIVEDESK_API_KEY: 'env-key', LIVEDESK_API_SECRET: 'env-secret' }, p);
    expect(c).toMatchObject({ apiKey: KEY, apiSecret: SECRET });
    expect(c.warnings).toEqual([`LIVEDESK_API_KEY and LIVEDESK_API_SECRET in the environment are ignored: --credentials-file ${p} was given`]);
    // A file with only the key does not borrow the secret from the environment.
    const half = file(`LIVEDESK_API_KEY=${KEY}\n`);
    expect(refusal(() => loadCredentials({ LIVEDESK_API_SECRET: 'ev9Tq2Lm' }, half), 'ev9Tq2Lm').message).toMatch(/has no LIVEDESK_API_SECRET/);
  });

  it.runIf(posix)('refuses a file others can read or write, with the chmod that fixes it', () => {
    for (const mode of [0o644, 0o640, 0o604, 0o620, 0o602, 0o660]) {
      const p = file(`LIVEDESK_API_KEY=${KEY}\nLIVEDESK_API_SECRET=${SECRET}\n`, mode);
      const e = refusal(() => loadCredentials({}, p));
      expect(e.message).toContain(`mode ${mode.toString(8)}`);
      expect(e.message).toContain(`chmod 600 ${p}`);
    }
    expect(() => loadCredentials({}, file(`LIVEDESK_API_KEY=${KEY}\nLIVEDESK_API_SECRET=${SECRET}\n`, 0o400))).not.toThrow();
  });

  it.runIf(posix)('quotes a path with spaces in the chmod advice', () => {
    const p = join(dir, "my creds's file");
    writeFileSync(p, `LIVEDESK_API_KEY=${KEY}\nLIVEDESK_API_SECRET=${SECRET}\n`);
    chmodSync(p, 0o644);
    expect(refusal(() => loadCredentials({}, p)).message).toContain(`chmod 600 '${dir}/my creds'\\''s file'`);
  });

  it('skips the permission check on Windows, where mode bits mean nothing', () => {
    const p = file(`LIVEDESK_API_KEY=${KEY}\nLIVEDESK_API_SECRET=${SECRET}\n`, 0o644);
    expect(loadCredentials({}, p, { platform: 'win32' })).toMatchObject({ apiKey: KEY });
  });

  it.runIf(posix)('refuses a folder and a FIFO without hanging', () => {
    const folder = join(dir, 'folder');
    mkdirSync(folder, { mode: 0o700 });
    expect(refusal(() => loadCredentials({}, folder)).message).toMatch(/not a regular file/);
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', ['-m', '600', fifo]);
    expect(refusal(() => loadCredentials({}, fifo)).message).toMatch(/not a regular file/);
  });

  it('refuses a missing file, an empty path and an oversized file', () => {
    expect(refusal(() => loadCredentials({}, join(dir, 'nope'))).message).toMatch(/does not exist/);
    expect(refusal(() => loadCredentials({}, ' ')).message).toMatch(/needs a path/);
    expect(refusal(() => loadCredentials({}, file(`LIVEDESK_API_KEY=${KEY}\n#${'x'.repeat(70_000)}\n`))).message).toMatch(/64 KiB/);
  });

  it.each([
    ['a line that is not NAME=value', `LIVEDESK_API_KEY=${KEY}\n${SECRET}\n`, /line 2 is not NAME=value/],
    ['a name set twice', `LIVEDESK_API_KEY=${KEY}\nLIVEDESK_API_SECRET=${SECRET}\nLIVEDESK_API_KEY=${KEY}x\n`, /sets LIVEDESK_API_KEY twice \(lines 1 and 3\)/],
    ['an unclosed quote', `LIVEDESK_API_KEY="${KEY}\nLIVEDESK_API_SECRET=${SECRET}\n`, /line 1: the quoted value of LIVEDESK_API_KEY is not closed/],
    ['text after the closing quote', `LIVEDESK_API_KEY='${KEY}'${SECRET}\nLIVEDESK_API_SECRET=${SECRET}\n`, /line 1: .* text after the closing quote/],
    ['an empty value', `LIVEDESK_API_KEY=\nLIVEDESK_API_SECRET=${SECRET}\n`, /has no LIVEDESK_API_KEY/],
    ['nothing at all', '# empty\n', /has no LIVEDESK_API_KEY and LIVEDESK_API_SECRET/],
    ['broken JSON', `{"apiKey": "${KEY}", "apiSecret": ${SECRET}}`, /looks like JSON but is not valid JSON/],
    // V8 gives no position for an unexpected token (only a snippet: the secret): the line is found all the same.
    ['broken JSON on line 3', `{\n  "apiKey": "${KEY}",\n  "apiSecret": ${SECRET}\n}`, /looks like JSON but is not valid JSON \(line 3\)$/],
    ['a JSON array', `[{"apiKey": "${KEY}"}]`, /not valid JSON|must be an object/],
    ['a JSON number for a value', `{"apiKey": "${KEY}", "apiSecret": 12345678}`, /"apiSecret" must be a string/],
    ['both JSON spellings, different values', JSON.stringify({ apiKey: KEY, LIVEDESK_API_KEY: `${KEY}2`, apiSecret: SECRET }), /gives the API key twice/],
    ['a key with ":"', `LIVEDESK_API_KEY=${KEY}:1\nLIVEDESK_API_SECRET=${SECRET}\n`, /contains ':'/],
  ])('refuses %s, naming the line or field and never the value', (_name, content, message) => {
    expect(refusal(() => loadCredentials({}, file(content)), '12345678').message).toMatch(message);
  });

  it('accepts the same value under both JSON spellings', () => {
    expect(loadCredentials({}, file(JSON.stringify({ apiKey: KEY, LIVEDESK_API_KEY: KEY, apiSecret: SECRET })))).toMatchObject({ apiKey: KEY });
  });
});

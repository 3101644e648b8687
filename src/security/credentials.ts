// Where the API key and secret come from: the environment, or a file named by
// --credentials-file. Never a flag: a flag's value shows in `ps`, in shell history and in CI logs.
//
// No message built here ever holds a key or secret, not even a prefix: a message names the
// variable, the file and the line, and nothing read from the file.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { jsonErrorOffset } from './parse-errors.js';

/** Credentials missing, unreadable or unsafe: a configuration error (exit 2), nothing sent. */
export class CredentialsError extends UsageError {
  constructor(message: string) {
    super(message, { code: 'credentials_error' });
  }
}

export interface Credentials {
  apiKey: string;
  apiSecret: string;
  /** Where they came from, for the run's header line: `environment` or `--credentials-file PATH`. */
  source: string;
  /** Things the person should know (print each as a warning); never holds a secret. */
  warnings: string[];
}

export interface LoadCredentialsOptions {
  /** For tests; default process.platform. The permission check runs on every platform but win32. */
  platform?: NodeJS.Platform;
}

const KEY_VAR = 'LIVEDESK_API_KEY';
const SECRET_VAR = 'LIVEDESK_API_SECRET';
/** A credentials file holds two short lines; anything bigger is the wrong file. */
const MAX_FILE_BYTES = 64 * 1024;

/**
 * The key and secret for this run. An explicit `--credentials-file` wins over the environment:
 * the flag is a choice made for this very command, while LIVEDESK_API_* may be left over from a
 * shell profile, a CI setting or an earlier session, and sending another account's keys because
 * a stale variable silently beat the file named on the command line would be the worse surprise.
 * The two are never mixed (a key from one, the secret from the other): a pair comes from one place.
 */
export function loadCredentials(env: NodeJS.ProcessEnv, credentialsFile?: string, opts: LoadCredentialsOptions = {}): Credentials {
  if (credentialsFile !== undefined) {
    const path = credentialsFile.trim();
    if (path === '') throw new CredentialsError('--credentials-file needs a path');
    const { apiKey, apiSecret } = readCredentialsFile(path, opts.platform ?? process.platform);
    const shadowed = [KEY_VAR, SECRET_VAR].filter((v) => env[v]?.trim());
    const warnings =
      shadowed.length > 0 ? [`${shadowed.join(' and ')} in the environment ${shadowed.length === 1 ? 'is' : 'are'} ignored: --credentials-file ${path} was given`] : [];
    return { apiKey, apiSecret, source: `--credentials-file ${path}`, warnings };
  }
  const apiKey = env[KEY_VAR]?.trim() ?? '';
  const apiSecret = env[SECRET_VAR]?.trim() ?? '';
  if (!apiKey || !apiSecret) {
    const missing = [!apiKey && KEY_VAR, !apiSecret && SECRET_VAR].filter(Boolean).join(' and ');
    throw new CredentialsError(
      `${missing} must be set in the environment, or give --credentials-file FILE (a 0600 file with ${KEY_VAR}=… and ${SECRET_VAR}=… lines, or JSON {"apiKey": …, "apiSecret": …}). ` +
        'The keys are in LiveDesk under Project Settings - API Management; no flag takes them. Use --dry-run to check a file without them.',
    );
  }
  checkValue(KEY_VAR, apiKey, 'the environment');
  checkValue(SECRET_VAR, apiSecret, 'the environment');
  return { apiKey, apiSecret, source: 'environment', warnings: [] };
}

function shellQuote(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}

function readCredentialsFile(path: string, platform: NodeJS.Platform): { apiKey: string; apiSecret: string } {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO given by mistake must fail the isFile() check below, not hang the open.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CredentialsError(`--credentials-file ${path} does not exist`);
    if (code === 'EACCES' || code === 'EPERM') throw new CredentialsError(`--credentials-file ${path} cannot be read: permission denied`);
    throw new CredentialsError(`--credentials-file ${path} cannot be opened (${code ?? 'error'})`);
  }
  try {
    // fstat on the open descriptor: the file checked is the file read, even if the path is swapped.
    const st = fstatSync(fd);
    if (!st.isFile()) throw new CredentialsError(`--credentials-file ${path} is not a regular file`);
    if (platform !== 'win32' && (st.mode & 0o077) !== 0) {
      const mode = (st.mode & 0o777).toString(8).padStart(3, '0');
      throw new CredentialsError(
        `--credentials-file ${path} can be read or changed by other users (mode ${mode}); the file holds your LiveDesk API secret. ` +
          `Make it yours alone with: chmod 600 ${shellQuote(path)}`,
      );
    }
    if (st.size > MAX_FILE_BYTES) {
      throw new CredentialsError(`--credentials-file ${path} is ${st.size} bytes; a credentials file holds only ${KEY_VAR} and ${SECRET_VAR} (at most 64 KiB)`);
    }
    const buf = Buffer.alloc(MAX_FILE_BYTES + 1);
    let size = 0;
    while (size < buf.length) {
      const n = readSync(fd, buf, size, buf.length - size, null);
      if (n === 0) break;
      size += n;
    }
    if (size > MAX_FILE_BYTES) throw new CredentialsError(`--credentials-file ${path} is larger than 64 KiB; a credentials file holds only ${KEY_VAR} and ${SECRET_VAR}`);
    const text = buf.toString('utf8', 0, size).replace(/^\uFEFF/, '');
    buf.fill(0);
    const found = /^\s*[{[]/.test(text) ? parseJson(text, path) : parseDotenv(text, path);
    const where = `--credentials-file ${path}`;
    if (!found.apiKey || !found.apiSecret) {
      const missing = [!found.apiKey && KEY_VAR, !found.apiSecret && SECRET_VAR].filter(Boolean).join(' and ');
      throw new CredentialsError(
        `${where} has no ${missing}; write it as dotenv lines (${KEY_VAR}=… and ${SECRET_VAR}=…) or as JSON {"apiKey": "…", "apiSecret": "…"}`,
      );
    }
    checkValue(KEY_VAR, found.apiKey, where);
    checkValue(SECRET_VAR, found.apiSecret, where);
    return { apiKey: found.apiKey, apiSecret: found.apiSecret };
  } finally {
    closeSync(fd);
  }
}

interface Found {
  apiKey?: string;
  apiSecret?: string;
}

/** The value checks, naming the variable and never showing the value. */
function checkValue(name: string, value: string, where: string): void {
  // A line break or other control character inside is a copy-paste accident, never a real key.
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new CredentialsError(`${name} from ${where} contains a control character (a stray line break or tab?)`);
  // Basic auth joins the two with ':', so a ':' in the key would move the split point.
  if (name === KEY_VAR && value.includes(':')) throw new CredentialsError(`${name} from ${where} contains ':', which HTTP Basic auth cannot carry in the key`);
}

function parseJson(text: string, path: string): Found {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // V8's message quotes the text around the error, which here is the secret: the line only,
    // found by a scan of our own (V8 gives no position for an unexpected token).
    const at = ` (line ${text.slice(0, jsonErrorOffset(text)).split('\n').length})`;
    throw new CredentialsError(`--credentials-file ${path} looks like JSON but is not valid JSON${at}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CredentialsError(`--credentials-file ${path}: the JSON must be an object {"apiKey": "…", "apiSecret": "…"}`);
  }
  const o = parsed as Record<string, unknown>;
  const pick = (names: readonly string[], label: string): string | undefined => {
    const given = names.filter((n) => o[n] !== undefined);
    for (const n of given) {
      if (typeof o[n] !== 'string') throw new CredentialsError(`--credentials-file ${path}: "${n}" must be a string`);
    }
    const values = new Set(given.map((n) => (o[n] as string).trim()));
    if (values.size > 1) throw new CredentialsError(`--credentials-file ${path} gives the ${label} twice, as ${given.map((n) => `"${n}"`).join(' and ')}, with different values; keep one`);
    return values.values().next().value;
  };
  return {
    apiKey: pick(['apiKey', KEY_VAR], 'API key'),
    apiSecret: pick(['apiSecret', SECRET_VAR], 'API secret'),
  };
}

/**
 * dotenv: `NAME=value` lines, `#` comments, an optional `export ` prefix, values optionally in
 * single quotes (taken as they are) or double quotes (`\"` and `\\` unescaped). In an unquoted
 * value, `#` starts a comment only after a space, so a secret holding `#` survives unquoted.
 * Other names are ignored, so a project's existing .env file can be used as it is.
 */
function parseDotenv(text: string, path: string): Found {
  const found: Found = {};
  const seenAt = new Map<string, number>();
  const lines = text.split(/\r\n|\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let s = lines[i]!.trim();
    if (s === '' || s.startsWith('#')) continue;
    s = s.replace(/^export\s+/, '');
    const m = /^([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(s);
    if (!m) throw new CredentialsError(`--credentials-file ${path} line ${lineNo} is not NAME=value (expected dotenv lines such as ${KEY_VAR}=… or a JSON object)`);
    const name = m[1]!;
    if (name !== KEY_VAR && name !== SECRET_VAR) continue;
    const earlier = seenAt.get(name);
    if (earlier !== undefined) throw new CredentialsError(`--credentials-file ${path} sets ${name} twice (lines ${earlier} and ${lineNo}); keep one`);
    seenAt.set(name, lineNo);
    const value = dotenvValue(m[2]!, path, lineNo, name);
    if (name === KEY_VAR) found.apiKey = value;
    else found.apiSecret = value;
  }
  return found;
}

function dotenvValue(raw: string, path: string, lineNo: number, name: string): string {
  const quote = raw[0];
  if (quote === '"' || quote === "'") {
    let value = '';
    let i = 1;
    for (; i < raw.length && raw[i] !== quote; i++) {
      if (quote === '"' && raw[i] === '\\' && (raw[i + 1] === '"' || raw[i + 1] === '\\')) i++;
      value += raw[i];
    }
    const after = raw.slice(i + 1).trim();
    if (i >= raw.length || (after !== '' && !after.startsWith('#'))) {
      throw new CredentialsError(`--credentials-file ${path} line ${lineNo}: the quoted value of ${name} is not closed, or has text after the closing quote`);
    }
    return value.trim();
  }
  return raw.replace(/\s+#.*$/, '').trim();
}

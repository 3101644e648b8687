// What the server says is scrubbed of the credentials before anything reads it. A debugging
// gateway or a misconfigured proxy may answer with the request it got: the Authorization header,
// `key:secret`, the key or secret alone. Every message, failures-file cell, journal entry, log
// line, summary and report is built from an answer's body and headers, so the client scrubs
// them once, where they become text (client.ts), and nothing downstream has to remember to.
//
// Compiled once per run; one quick scan lets a body without any of it through untouched. It finds:
// - this run's key and secret in every spelling a server could echo: as sent (`Basic ` + base64
//   of `key:secret`, also unpadded and base64url), decoded (`key:secret`, each alone),
//   URL-encoded (`key%3Asecret`, any hex case) and JSON-escaped;
// - any `Authorization:` / `Proxy-Authorization:` value (header or JSON spelling), whoever's;
// - any `Bearer` token, any `Basic` token that decodes to `user:password`, and the
//   `user:password@` of a URL (a Location header pointing elsewhere with the credentials in it).
// Matching is case-insensitive: over-scrubbing a word costs nothing, missing a spelling leaks it.
// A body with none of these is returned as it is (the same string, no copy).

/** What replaces a credential. Holds no quote or backslash: a JSON body stays valid JSON. */
export const REDACTED = '[redacted]';

/** Shorter values are not scrubbed as literals (a 3-character key would blank every word holding it). */
const MIN_LITERAL = 4;

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// Header-name spellings: `Authorization: v`, `"authorization": "v"`, `authorization=v`. The value
// is a scheme word and one token (`Basic abc=`, `Bearer x.y.z`, a bare token); it stops at white
// space, a quote, a backslash (a JSON-escaped quote) or a list/markup/query delimiter, so the rest
// of a message survives and a JSON body keeps its closing quote (it still parses).
// (`Proxy-Authorization` is matched from its `Authorization`.)
const AUTH_HEADER = String.raw`(authori[sz]ation["']?\s*[:=]\s*["']?)(?:[A-Za-z][\w-]*[ \t]+)?[^\s"'\\<>&;,]+`;
// RFC 6750 b64token.
const BEARER = String.raw`(bearer\s+)[A-Za-z0-9\-._~+/]{6,}=*`;
// Checked on match: only a token that decodes to `user:password` is a credential ("Basic plan" is not).
const BASIC = String.raw`(basic\s+)([A-Za-z0-9+/\-_]{4,}={0,2})`;
const URL_USERINFO = String.raw`(://)[^\s/@"'<>\\]+:[^\s/@"'<>\\]*@`;
// What every match above begins with: a body without any is returned after one quick scan; the
// passes below run only on the rare body that has one. An avatar URL has `://` but no
// `user:password@`, so the quick check takes the whole URL pattern, not just `://`.
const QUICK = [String.raw`authori[sz]ation`, String.raw`bearer\s`, String.raw`basic\s`, URL_USERINFO];

/** Every spelling of one credential a server could echo back. */
function spellings(apiKey: string, apiSecret: string): string[] {
  const pair = `${apiKey}:${apiSecret}`;
  const b64 = Buffer.from(pair).toString('base64');
  const forms = new Set<string>();
  for (const raw of [pair, apiKey, apiSecret]) {
    forms.add(raw);
    forms.add(encodeURIComponent(raw));
    forms.add(JSON.stringify(raw).slice(1, -1));
  }
  forms.add(b64);
  forms.add(b64.replace(/=+$/, ''));
  forms.add(Buffer.from(pair).toString('base64url'));
  for (const one of [apiKey, apiSecret]) forms.add(Buffer.from(one).toString('base64').replace(/=+$/, ''));
  // Longest first: `key:secret` is taken whole before `key` alone could split it.
  return [...forms].filter((f) => f.length >= MIN_LITERAL).sort((a, b) => b.length - a.length);
}

function looksLikeBasicCredentials(token: string): boolean {
  const decoded = Buffer.from(token.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('latin1');
  return /^[\x20-\x7e]+:[\x20-\x7e]*$/.test(decoded);
}

export interface ServerTextScrubber {
  /** The text with every credential replaced by `[redacted]`; the same string when there was none. */
  text(s: string): string;
  /**
   * For a body that was cut (size limit, broken connection): also scrubs a credential cut at the
   * very end (`…key:sec`), which the whole spelling no longer matches.
   */
  cutText(s: string): string;
  /** Every header value scrubbed; the same object when none needed it. */
  headers<H extends Record<string, string | string[] | undefined>>(h: H): H;
}

/**
 * A scrubber for this run's credentials. Without credentials (tests, the stand-in) it still
 * scrubs Authorization values, Bearer and Basic tokens and URL passwords.
 */
export function serverTextScrubber(apiKey = '', apiSecret = ''): ServerTextScrubber {
  const literals = apiKey || apiSecret ? spellings(apiKey, apiSecret) : [];
  const quick = new RegExp([...QUICK, ...literals.map(escapeRegExp)].join('|'), 'i');
  // One pass per kind, each a pattern that starts with its own literal (a single alternation of
  // them all scanned about three times slower). This run's own spellings go first, whole.
  const passes: Array<[RegExp, (match: string, ...groups: string[]) => string]> = [
    ...(literals.length ? [[new RegExp(literals.map(escapeRegExp).join('|'), 'gi'), () => REDACTED] as [RegExp, () => string]] : []),
    [new RegExp(AUTH_HEADER, 'gi'), (_m, name) => name + REDACTED],
    [new RegExp(BEARER, 'gi'), (_m, scheme) => scheme + REDACTED],
    [new RegExp(BASIC, 'gi'), (m, scheme, token) => (looksLikeBasicCredentials(token!) ? scheme + REDACTED : m)],
    [new RegExp(URL_USERINFO, 'g'), () => `://${REDACTED}@`],
  ];
  const plain = (s: string): string => {
    if (s.length === 0 || !quick.test(s)) return s;
    let out = s;
    for (const [re, fn] of passes) out = out.replace(re, fn as (m: string, ...groups: string[]) => string);
    return out;
  };
  // A JSON body may spell a credential with escapes no literal above matches (`\u002B` for `+`,
  // `\/` for `/`: .NET and PHP encoders do by default), and JSON.parse downstream would turn them
  // back into the secret. So a body with a backslash that parses is scrubbed string by string, as
  // it will be read, and written again — only when something was found (numbers keep their text).
  const decoded = (s: string): string => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(s);
    } catch {
      return s;
    }
    let changed = false;
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') {
        const c = plain(v);
        if (c !== v) changed = true;
        return c;
      }
      if (Array.isArray(v)) return v.map(walk);
      if (v !== null && typeof v === 'object') {
        const o: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) o[walk(k) as string] = walk(x);
        return o;
      }
      return v;
    };
    const clean = walk(parsed);
    return changed ? JSON.stringify(clean) : s;
  };
  const text = (s: string): string => {
    const out = plain(s);
    return out.includes('\\') ? decoded(out) : out;
  };
  const cutText = (s: string): string => {
    let out = text(s);
    const lower = out.toLowerCase();
    for (const f of literals) {
      const fl = f.toLowerCase();
      for (let n = Math.min(fl.length - 1, lower.length); n >= MIN_LITERAL; n--) {
        if (lower.endsWith(fl.slice(0, n))) {
          out = out.slice(0, out.length - n) + REDACTED;
          return out;
        }
      }
    }
    return out;
  };
  const headers = <H extends Record<string, string | string[] | undefined>>(h: H): H => {
    let copy: Record<string, string | string[] | undefined> | undefined;
    for (const [name, value] of Object.entries(h)) {
      if (value === undefined) continue;
      const clean = Array.isArray(value) ? value.map(text) : text(value);
      const changed = Array.isArray(value) ? (clean as string[]).some((v, i) => v !== value[i]) : clean !== value;
      if (changed) (copy ??= { ...h })[name] = clean;
    }
    return (copy ?? h) as H;
  };
  return { text, cutText, headers };
}

/** No run's credentials known (an error from outside the client): the patterns alone. */
export const scrubAuthorization: (s: string) => string = serverTextScrubber().text;

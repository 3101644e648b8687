// Where a JSON or YAML text fails to parse, told without showing any of the text. The parsers'
// own messages quote it: V8's JSON.parse shows the characters around the error (`Unexpected token
// 's', "{"secret": sk_live_…"... is not valid JSON`), the yaml package prints the whole line with
// a caret under it, and some of its messages name the bad token. A job file or a mapping file may
// hold a secret pasted into the wrong place, and the line at fault is the likeliest place for it,
// so these messages say the line and column and what kind of mistake it is, never the line.
// JSON here (the credentials file reads it at every start); YAML, loaded only for --config, in
// yaml-errors.ts.

export interface ParseFailure {
  /** 1-based; undefined when the parser could not say. */
  line?: number;
  column?: number;
  /** What kind of mistake, in words that never come from the text. */
  what: string;
}

/** ` at line 3, column 7`, or nothing when unknown. */
export function where(f: ParseFailure): string {
  if (f.line === undefined) return '';
  return f.column === undefined ? ` at line ${f.line}` : ` at line ${f.line}, column ${f.column}`;
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const line = before.split(/\r\n|\n|\r/).length;
  const lastBreak = Math.max(before.lastIndexOf('\n'), before.lastIndexOf('\r'));
  return { line, column: before.length - lastBreak };
}

/** JSON.parse, or the failure's place (found by a scan of our own: V8 does not always give one). */
export function parseJsonQuietly(text: string): { ok: true; value: unknown } | { ok: false; failure: ParseFailure } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    const at = jsonErrorOffset(text);
    const end = at >= text.length;
    return { ok: false, failure: { ...lineColumn(text, at), what: end ? 'the text ends too early (an unclosed { [ or ")' : 'unexpected character' } };
  }
}

/**
 * The offset of the first character at which `text` stops being JSON (RFC 8259), or its length
 * when it ends too early. Only called after JSON.parse failed, so it never needs to be fast.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const n = text.length;
  const ws = (): void => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  class Stop extends Error {}
  const fail = (): never => {
    throw new Stop();
  };
  const expect = (c: string): void => {
    if (text[i] !== c) fail();
    i++;
  };
  const string = (): void => {
    expect('"');
    for (;;) {
      if (i >= n) fail();
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) fail();
      if (c === 0x5c) {
        i++;
        const e = text[i];
        if (e === 'u') {
          for (let k = 1; k <= 4; k++) {
            if (!/[0-9a-fA-F]/.test(text[i + k] ?? '')) {
              i += k;
              fail();
            }
          }
          i += 5;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i++;
        else fail();
      } else i++;
    }
  };
  const isDigit = (): boolean => i < n && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39;
  const digits = (): void => {
    if (!isDigit()) fail();
    while (isDigit()) i++;
  };
  const number = (): void => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else digits();
    if (text[i] === '.') {
      i++;
      digits();
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      digits();
    }
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        string();
        ws();
        expect(':');
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        expect('}');
        return;
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        expect(']');
        return;
      }
    }
    if (c === '"') return string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number();
    const word = c === 't' ? 'true' : c === 'f' ? 'false' : c === 'n' ? 'null' : undefined;
    if (word === undefined) fail();
    // As V8 does: the error is at the first character that leaves the word.
    let k = 0;
    while (k < word!.length && text[i + k] === word![k]) k++;
    i += k;
    if (k < word!.length) fail();
  };
  try {
    if (text.charCodeAt(0) === 0xfeff) i = 1;
    value();
    ws();
    if (i < n) fail();
    return n;
  } catch (e) {
    if (e instanceof Stop) return i;
    throw e;
  }
}


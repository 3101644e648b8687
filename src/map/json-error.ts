// Where a JSON text breaks, for error messages. V8's JSON.parse messages do not always carry a
// position (`Unexpected token '}', "..." is not valid JSON`), so this small scanner walks the text
// once more, after JSON.parse has failed, and reports the first offending character with a
// reason a person can act on. Only for small files (a mapping file); not for hot paths.

export interface JsonErrorLocation {
  /** 0-based offset into the text. */
  offset: number;
  /** 1-based line and column. */
  line: number;
  column: number;
  reason: string;
}

class Stop {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {}
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

function show(ch: string | undefined): string {
  if (ch === undefined) return 'end of file';
  if (ch === '\n' || ch === '\r') return 'line break';
  return JSON.stringify(ch);
}

/** The first error in a JSON text, or undefined when it is valid JSON. */
export function locateJsonError(text: string): JsonErrorLocation | undefined {
  let i = 0;
  const n = text.length;

  const ws = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };

  const unexpected = (expected: string): Stop => {
    const ch = text[i];
    if (ch === "'") return new Stop(i, `JSON needs double quotes (") around names and text, not '`);
    if (ch === '/') return new Stop(i, 'JSON does not allow comments');
    if ((ch === '}' || ch === ']') && previousSignificant(text, i) === ',') {
      return new Stop(i, `a comma before ${show(ch)} is not allowed in JSON (remove the last comma)`);
    }
    if (ch === undefined) return new Stop(i, `the file ends too early (expected ${expected})`);
    if (expected.startsWith('","') && (ch === '"' || ch === '{' || ch === '[')) {
      return new Stop(i, 'a comma is missing before this (entries must be separated by ",")');
    }
    return new Stop(i, `unexpected ${show(ch)} (expected ${expected})`);
  };

  const string = (): void => {
    i++; // opening quote
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) throw new Stop(i, 'bad \\u escape in text');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          i += 2;
        } else {
          throw new Stop(i, 'a backslash in text must be written as \\\\');
        }
        continue;
      }
      if (c < 0x20) throw new Stop(i, 'text must not contain a line break or tab; close the quote first');
      i++;
    }
    throw new Stop(i, 'the file ends inside text (a closing " is missing)');
  };

  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === '{') return object();
    if (ch === '[') return array();
    if (ch === '"') return string();
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    NUMBER.lastIndex = i;
    if (NUMBER.test(text)) {
      i = NUMBER.lastIndex;
      return;
    }
    throw unexpected('a value');
  };

  const object = (): void => {
    i++; // {
    ws();
    if (text[i] === '}') {
      i++;
      return;
    }
    for (;;) {
      ws();
      if (text[i] !== '"') throw unexpected('a name in double quotes');
      string();
      ws();
      if (text[i] !== ':') throw unexpected('":"');
      i++;
      value();
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        return;
      }
      throw unexpected('"," or "}"');
    }
  };

  const array = (): void => {
    i++; // [
    ws();
    if (text[i] === ']') {
      i++;
      return;
    }
    for (;;) {
      value();
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ']') {
        i++;
        return;
      }
      throw unexpected('"," or "]"');
    }
  };

  try {
    value();
    ws();
    if (i < n) throw new Stop(i, `unexpected ${show(text[i])} after the end of the JSON value`);
    return undefined;
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    return { offset: e.offset, ...lineColumn(text, e.offset), reason: e.reason };
  }
}

function previousSignificant(text: string, at: number): string | undefined {
  for (let j = at - 1; j >= 0; j--) {
    const ch = text[j]!;
    if (ch !== ' ' && ch !== '\t' && ch !== '\n' && ch !== '\r') return ch;
  }
  return undefined;
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let j = 0; j < offset && j < text.length; j++) {
    if (text.charCodeAt(j) === 0x0a) {
      line++;
      start = j + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

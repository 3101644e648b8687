// YAML parse failures told by line, column and kind, never by quoting the text (see
// parse-errors.ts). Loaded only with --config, as the yaml package is.
import { parseDocument } from 'yaml';
import { lineColumn, type ParseFailure } from './parse-errors.js';

// yaml's error codes, in words. Its messages are not used: several quote the text.
const YAML_CODES: Record<string, string> = {
  ALIAS_PROPS: 'an alias with an anchor or tag',
  BAD_ALIAS: 'a bad alias',
  BAD_COLLECTION_TYPE: 'a tag that does not fit its value',
  BAD_DIRECTIVE: 'a bad directive',
  BAD_DQ_ESCAPE: 'a bad escape in a "double-quoted" value',
  BAD_INDENT: 'bad indentation',
  BAD_PROP_ORDER: 'an anchor or tag in the wrong place',
  BAD_SCALAR_START: 'a value that starts with a reserved character (quote it)',
  BLOCK_AS_IMPLICIT_KEY: 'a nested mapping where a value was expected (a missing space after ":", or a ":" in an unquoted value?)',
  BLOCK_IN_FLOW: 'a block inside a {…} or […]',
  DUPLICATE_KEY: 'a key given twice',
  IMPOSSIBLE: 'text the YAML parser cannot read',
  KEY_OVER_1024_CHARS: 'a key over 1024 characters',
  MISSING_CHAR: 'a missing character (an unclosed quote or bracket?)',
  MULTILINE_IMPLICIT_KEY: 'a key that runs over more than one line',
  MULTIPLE_ANCHORS: 'two anchors on one value',
  MULTIPLE_DOCS: 'more than one document',
  MULTIPLE_TAGS: 'two tags on one value',
  NON_STRING_KEY: 'a key that is not text',
  TAB_AS_INDENT: 'a tab used for indentation (use spaces)',
  TAG_RESOLVE_FAILED: 'an unknown tag',
  UNEXPECTED_TOKEN: 'unexpected text (bad indentation, or a value that needs quotes?)',
};

/** YAML parsed to plain data, or the first error's place and kind. Nothing is printed: warnings are dropped. */
export function parseYamlQuietly(text: string): { ok: true; value: unknown } | { ok: false; failure: ParseFailure } {
  const doc = parseDocument(text, { prettyErrors: false });
  const err = doc.errors[0];
  if (err !== undefined) {
    return { ok: false, failure: { ...lineColumn(text, err.pos[0]), what: YAML_CODES[err.code] ?? 'a YAML syntax error' } };
  }
  try {
    // Aliases are expanded here; an unresolved one, or a billion-laughs expansion, fails (its message names the alias).
    return { ok: true, value: doc.toJS({ maxAliasCount: 100 }) as unknown };
  } catch {
    return { ok: false, failure: { what: 'an alias (*name) that has no anchor before it, or aliases that expand too far' } };
  }
}

// Issue 14, finding 2, as a user meets it: a 20,000-row export with one stray quote at row 100,
// in a Notes column the mapping does not even use. Before: rows 100–20,000 were one malformed row
// and 99 contacts were created. Now: the row with the quote fails, with its text, and the other
// 19,999 are created.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useStandin } from './helpers/standin.js';
import { CREDS, readCsv, runCli } from './helpers/cli.js';

const t = useStandin(14, 'ldi-source-stray-');

describe('a stray quote in a large file', () => {
  it('20,000 rows, a " at row 100 in Notes: 19,999 created, 1 failed with its raw text', async () => {
    const lines = ['Name,Email,Notes'];
    for (let i = 1; i <= 20_000; i++) lines.push(`Person ${i},person${i}@example.com,${i === 100 ? '"' : ''}note ${i}`);
    const input = join(t.dir, 'big.csv');
    writeFileSync(input, lines.join('\n') + '\n');
    const summaryPath = join(t.dir, 's.json');
    const run = await runCli([...t.live(input), '--concurrency', '16', '--summary', summaryPath], CREDS, 300_000);
    expect(run.code, run.stderr).toBe(1);
    const summary = JSON.parse(readFileSync(summaryPath, 'utf8'));
    expect(summary).toMatchObject({ rows: 20_000, created: 19_999, failed: 1, byError: { malformed_row: 1 } });
    expect(t.server.contacts()).toHaveLength(19_999);

    const failures = readCsv(join(t.dir, 'big.failures.csv'));
    expect(failures.rows).toHaveLength(1);
    const f = failures.rows[0]!;
    expect(f).toMatchObject({ _row: '100', _error: 'malformed_row' });
    expect(f._message).toMatch(/^line 101: a quoted value that starts in this line runs over more than 100 lines \(a stray quote\?\): this line alone is failed, and reading went on at line 102/);
    // The row's text as read is kept, whatever columns the failures file has for it.
    expect(JSON.stringify(f)).toContain('Person 100,person100@example.com,\\"note 100');
    const results = readCsv(join(t.dir, 'big.results.csv'));
    expect(results.rows).toHaveLength(19_999);
    expect(results.rows.some((r) => r.row === '101' && r.email === 'person101@example.com')).toBe(true);
    expect(results.rows.some((r) => r.row === '20000')).toBe(true);
  }, 300_000);
});

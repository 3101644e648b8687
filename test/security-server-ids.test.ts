// Contact IDs from any answer are checked the same way (src/send/contact-id.ts): an integer
// JSON.parse keeps exact, or a short printable token. A rounded number would be recorded — and
// later updated — as another contact; a token with a line break would break the results file.
// And a create answered with an ID this run already gave another row is flagged (id_reused).
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROW_ERRORS } from '../src/errors.js';
import { classifyAnswer, contactIdOf, updatedIdOf } from '../src/send/classify.js';
import { checkContactId, ContactIds, inexactIds } from '../src/send/contact-id.js';
import { sendRow } from '../src/send/sender.js';
import { CREDS, readCsv, runCli, tempDir, writeCsv } from './helpers/cli.js';
import { created, found, harness, http, row, taken } from './helpers/fake-client.js';

const BIG = '1152921504606846977';
const ctx = { inboxId: '407', baseUrl: 'http://127.0.0.1:9', now: 0 };
const createAnswer = (idJson: string) => http(200, `{"payload":{"contact":{"id":${idJson},"name":"x"}}}`);

describe('one check for every ID', () => {
  it('integers JSON.parse keeps exact, and short printable tokens', () => {
    expect(checkContactId(0)).toEqual({ ok: true, id: '0' });
    expect(checkContactId(9007199254740991)).toEqual({ ok: true, id: '9007199254740991' });
    expect(checkContactId('7f3e-aa')).toEqual({ ok: true, id: '7f3e-aa' });
    expect(checkContactId(BIG)).toEqual({ ok: true, id: BIG });
  });

  it('refuses what would be recorded wrong, saying why', () => {
    const why = (v: unknown, raw = '') => {
      const c = checkContactId(v, inexactIds(raw));
      return c.ok ? 'accepted' : c.why;
    };
    expect(why(JSON.parse(`{"id":${BIG}}`).id, `{"id":${BIG}}`)).toBe(`the ID is written ${BIG}, which a JSON number cannot hold exactly (read as one, it would name another contact)`);
    expect(why(9007199254740992)).toMatch(/beyond 2\^53/);
    expect(why(5, '{"id": 5.0000000000000001}')).toMatch(/written 5\.0000000000000001/);
    expect(why(1000, '{"id":1e3}')).toMatch(/written 1e3/);
    expect(why(-3)).toMatch(/negative/);
    expect(why(1.5)).toMatch(/beyond 2\^53|cannot/);
    expect(why('12\n')).toBe('the ID "12\\u000a" holds a space, a control character or non-ASCII text');
    expect(why(' 7 ')).toMatch(/holds a space/);
    expect(why('x'.repeat(129))).toMatch(/129 characters/);
    expect(why('')).toMatch(/empty/);
    expect(why({ id: 1 })).toMatch(/an object|a object|not a number or a string/);
    expect(why(undefined)).toBe('there is no ID');
  });

  it('an "id" inside a string value is not taken for one', () => {
    expect(inexactIds('{"note":"say \\"id\\": 5.0 here","id":5}').size).toBe(0);
    expect(inexactIds('{"id":5,"x":1.5}').size).toBe(0);
  });

  it('create and update answers: the ID refused, the row bad_response with the reason (not the rounded number)', () => {
    expect(contactIdOf(`{"payload":{"contact":{"id":${BIG}}}}`)).toBeUndefined();
    expect(contactIdOf('{"payload":{"contact":{"id":"12\\n"}}}')).toBeUndefined();
    expect(contactIdOf('{"payload":{"contact":{"id":" 7f3e-aa "}}}')).toBeUndefined();
    expect(updatedIdOf(`{"payload":{"id":${BIG}}}`)).toBeUndefined();
    const c = classifyAnswer(createAnswer(BIG), ctx);
    expect(c).toMatchObject({ kind: 'row', code: 'bad_response', message: expect.stringContaining(`its payload.contact.id cannot be recorded: the ID is written ${BIG}`) });
  });
});

describe('IDs from the search', () => {
  const ada = { name: 'Ada', email: 'ada@example.com' };

  it.each([
    ['a number past 2^53', BIG],
    ['a fraction', '77.0000000000000001'],
    ['a string with a line break', '"77\\n"'],
  ])('%s: the row fails as bad_response, no ID recorded', async (_name, idJson) => {
    const page = http(200, `{"meta":{"count":1},"payload":[{"id":${idJson},"name":"Ada","email":"ada@example.com"}]}`);
    const h = harness({ create: [taken()], search: [page] });
    const out = await sendRow(row(ada), h.ctx);
    expect(out).toMatchObject({ kind: 'failed', code: 'rejected' });
    expect((out as { message: string }).message).toMatch(/contact search: the LiveDesk contact holding this email cannot be recorded: the ID .*check it in LiveDesk/);
    expect(out).not.toHaveProperty('contactId');
  });

  it('a 2xx without a readable ID, then a search with a rounded one: bad_response, not "created" as another contact', async () => {
    const page = http(200, `{"payload":[{"id":${BIG},"name":"Ada","email":"ada@example.com"}]}`);
    const h = harness({ create: [http(200, '<html>oops</html>')], search: [page] });
    const out = await sendRow(row(ada), h.ctx);
    expect(out).toMatchObject({ kind: 'failed', code: 'bad_response' });
    expect((out as { message: string }).message).toContain(`written ${BIG}`);
  });

  it('a page with an unusable ID on a contact that is not the row\'s does not matter', async () => {
    const page = http(200, `{"payload":[{"id":"bad id","name":"Other","email":"ada@example.com.au"},{"id":12,"name":"Ada","email":"ada@example.com"}]}`);
    const h = harness({ create: [taken()], search: [page] });
    expect(await sendRow(row(ada), h.ctx)).toMatchObject({ kind: 'existing', contactId: '12' });
  });
});

describe('the same ID for two rows', () => {
  it('a server that answers one ID to every create: the first row is created, the others id_reused', async () => {
    const ids = new ContactIds();
    const h = harness({ create: [created(42), created(42), created(42)] }, { ids });
    const rows = [
      { name: 'A', email: 'a@example.com' },
      { name: 'B', email: 'b@example.com' },
      { name: 'C', email: 'c@example.com' },
    ];
    const outs = [];
    for (const [i, c] of rows.entries()) outs.push(await sendRow(row(c, i + 1), h.ctx));
    expect(outs[0]).toMatchObject({ kind: 'created', contactId: '42' });
    for (const o of outs.slice(1)) {
      expect(o).toMatchObject({ kind: 'failed', code: 'id_reused', message: expect.stringContaining('contact ID 42, the ID it gave row 1 earlier in this run') });
      expect(o).not.toHaveProperty('contactId');
    }
    expect(ROW_ERRORS.id_reused).toMatchObject({ stage: 'send', retryable: false, outage: false });
  });

  it('a contact found for one row and then answered to another row\'s create: id_reused', async () => {
    const ids = new ContactIds();
    const h = harness({ create: [taken(), created(12)], search: [found({ id: 12, name: 'Ada', email: 'ada@example.com' })] }, { ids });
    expect(await sendRow(row({ name: 'Ada', email: 'ada@example.com' }, 1), h.ctx)).toMatchObject({ kind: 'existing', contactId: '12' });
    expect(await sendRow(row({ name: 'Bob', email: 'bob@example.com' }, 2), h.ctx)).toMatchObject({ kind: 'failed', code: 'id_reused' });
  });

  it('not flagged: two rows LiveDesk rightly holds as one contact (one has its email, the other its identifier)', async () => {
    const ids = new ContactIds();
    const contact = { id: 12, name: 'Ada', email: 'ada@example.com', identifier: 'crm-1' };
    const h = harness(
      {
        create: [created(12), taken('Identifier has already been taken', ['identifier'])],
        search: [found(contact)],
      },
      { ids },
    );
    expect(await sendRow(row({ name: 'Ada', email: 'ada@example.com' }, 1), h.ctx)).toMatchObject({ kind: 'created', contactId: '12' });
    expect(await sendRow(row({ name: 'Ada L.', identifier: 'crm-1' }, 2), h.ctx)).toMatchObject({ kind: 'existing', contactId: '12' });
  });

  it('not flagged: the same row answered twice (a resend after a lost answer)', () => {
    const ids = new ContactIds();
    expect(ids.claim('42', 3)).toBeUndefined();
    expect(ids.claim('42', 3)).toBeUndefined();
    expect(ids.claim('42', 4)).toBe(3);
  });

  it('keeps a million IDs in typed arrays, exact for integers, apart for strings', () => {
    const ids = new ContactIds();
    for (let i = 1; i <= 1_000_000; i++) ids.note(String(i * 7919), i);
    expect(ids.size).toBe(1_000_000);
    expect(ids.claim(String(500_000 * 7919), 9)).toBe(500_000);
    expect(ids.claim(String(7919 * 1_000_001), 9)).toBeUndefined();
    expect(ids.claim('9007199254740991', 1)).toBeUndefined();
    expect(ids.claim('9007199254740990', 2)).toBeUndefined();
    // A string ID never meets the integer with the same digits' hash, nor a near string.
    expect(ids.claim('abc-1', 3)).toBeUndefined();
    expect(ids.claim('abc-2', 4)).toBeUndefined();
    expect(ids.claim('abc-1', 5)).toBe(3);
    expect(ids.claim('042', 6)).toBeUndefined();
    expect(ids.claim('42', 7)).toBeUndefined();
  });
});

/** A LiveDesk that answers every create with the same ID, and every search with `searchBody`. */
async function brokenServer(createReply: (req: IncomingMessage) => [number, string], searchBody: string) {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      const [status, body] = req.method === 'POST' ? createReply(req) : [200, searchBody];
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('the CLI against a server that gets IDs wrong', () => {
  const rows = [
    ['name', 'email'],
    ['Ada', 'ada@example.com'],
    ['Bob', 'bob@example.com'],
    ['Cy', 'cy@example.com'],
  ];

  it.concurrent('one ID for every create: one row created, the others in the failures file as id_reused (exit 1)', async () => {
    const s = await brokenServer(() => [200, '{"payload":{"contact":{"id":42}}}'], '{"payload":[]}');
    const dir = tempDir('ldi-secrets-ids-');
    try {
      const input = writeCsv(dir, 'c.csv', rows);
      const run = await runCli([input, '--inbox-id', '407', '--base-url', s.url, '--rate', '1000', '--concurrency', '1'], CREDS);
      expect(run.code, run.stderr).toBe(1);
      expect(readCsv(join(dir, 'c.results.csv')).rows.map((r) => [r.row, r.outcome, r.contact_id])).toEqual([['1', 'created', '42']]);
      const failures = readCsv(join(dir, 'c.failures.csv')).rows;
      expect(failures.map((f) => [f._row, f._error])).toEqual([
        ['2', 'id_reused'],
        ['3', 'id_reused'],
      ]);
      expect(failures[0]!._message).toMatch(/contact ID 42, the ID it gave row 1 earlier in this run.*check contact 42/);
    } finally {
      await s.close();
    }
  });

  it.concurrent('a search answering an ID past 2^53: the row fails with the digits as written, the rounded ID is nowhere', async () => {
    const s = await brokenServer(
      () => [422, '{"message":"Email has already been taken","attributes":["email"]}'],
      `{"meta":{"count":1},"payload":[{"id":${BIG},"name":"Ada","email":"ada@example.com"}]}`,
    );
    const dir = tempDir('ldi-secrets-ids-');
    try {
      const input = writeCsv(dir, 'c.csv', rows.slice(0, 2));
      const run = await runCli([input, '--inbox-id', '407', '--base-url', s.url, '--rate', '1000', '--summary', join(dir, 's.json')], CREDS);
      expect(run.code, run.stderr).toBe(1);
      expect(readCsv(join(dir, 'c.results.csv')).rows).toEqual([]);
      const failures = readCsv(join(dir, 'c.failures.csv')).rows;
      expect(failures.map((f) => [f._row, f._error])).toEqual([['1', 'rejected']]);
      expect(failures[0]!._message).toContain(`written ${BIG}`);
      expect(run.stderr + JSON.stringify(failures)).not.toContain('1152921504606847000');
    } finally {
      await s.close();
    }
  });
});

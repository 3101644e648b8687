import { describe, expect, it } from 'vitest';
import { classifyAnswer, classifyError, classifyUpdate, contactIdOf, parseRetryAfter, updatedIdOf } from '../src/send/classify.js';
import type { HttpAnswer } from '../src/send/client.js';

const ctx = { inboxId: '407', baseUrl: 'http://127.0.0.1:1', now: Date.parse('2026-01-01T00:00:00Z') };
const answer = (status: number, body: unknown, headers: HttpAnswer['headers'] = {}): HttpAnswer => ({
  status,
  headers,
  body: typeof body === 'string' ? body : JSON.stringify(body),
  truncated: false,
});

describe('classifyAnswer', () => {
  it('reads the new contact ID, number or string, as text', () => {
    expect(classifyAnswer(answer(200, { payload: { contact: { id: 2219259 } } }), ctx)).toEqual({ kind: 'success', contactId: '2219259' });
    expect(classifyAnswer(answer(200, { payload: { contact: { id: 'abc-1' } } }), ctx)).toEqual({ kind: 'success', contactId: 'abc-1' });
  });

  it('never records a 200 without an ID as created', () => {
    for (const body of ['not json', '{}', '{"payload":{"contact":{}}}', '{"payload":{"contact":{"id":""}}}', 'null']) {
      const c = classifyAnswer(answer(200, body), ctx);
      expect(c.kind).toBe('row');
      expect(c.kind === 'row' && c.code).toBe('bad_response');
    }
    expect(classifyAnswer({ ...answer(200, { payload: { contact: { id: 1 } } }), truncated: true }, ctx).kind).toBe('row');
  });

  it('never trusts an ID from a body that was cut, even when the part that came parses', () => {
    const whole = answer(200, { payload: { contact: { id: 7 } } });
    for (const incomplete of ['timeout', 'connection'] as const) {
      const c = classifyAnswer({ ...whole, truncated: true, incomplete }, ctx);
      expect(c).toMatchObject({ kind: 'row', code: 'bad_response', taken: false });
    }
  });

  it('says why a 2xx carried no ID, and that the contact most likely exists', () => {
    const why = (a: HttpAnswer) => {
      const c = classifyAnswer(a, ctx);
      return c.kind === 'row' ? c.message : '';
    };
    expect(why(answer(200, '<html>oops</html>', { 'content-type': 'text/html' }))).toMatch(/^LiveDesk answered HTTP 200 but its body is not JSON \(text\/html: <html>oops<\/html>\); the contact was most likely created: check LiveDesk/);
    expect(why(answer(200, { payload: { contact: {} } }))).toMatch(/no usable payload\.contact\.id/);
    expect(why(answer(201, ''))).toMatch(/HTTP 201 but its body was empty/);
    expect(why({ ...answer(200, '{"pay'), truncated: true })).toMatch(/too large/);
    expect(why({ ...answer(200, '{"pay'), truncated: true, incomplete: 'timeout' })).toMatch(/did not finish within --timeout/);
    expect(why({ ...answer(200, '{"pay'), truncated: true, incomplete: 'connection' })).toMatch(/connection broke/);
  });

  it('refuses IDs that would be written out wrong: unsafe integers, fractions, junk strings', () => {
    for (const body of [
      '{"payload":{"contact":{"id":12345678901234567890}}}',
      '{"payload":{"contact":{"id":1.5}}}',
      '{"payload":{"contact":{"id":-3}}}',
      '{"payload":{"contact":{"id":"two words"}}}',
      '{"payload":{"contact":{"id":"line\\nbreak"}}}',
      JSON.stringify({ payload: { contact: { id: 'x'.repeat(129) } } }),
    ]) {
      expect(contactIdOf(body), body).toBeUndefined();
      expect(classifyAnswer(answer(200, body), ctx)).toMatchObject({ kind: 'row', code: 'bad_response' });
    }
    expect(contactIdOf('{"payload":{"contact":{"id":9007199254740991}}}')).toBe('9007199254740991');
    expect(contactIdOf('{"payload":{"contact":{"id":"7f3e-aa"}}}')).toBe('7f3e-aa');
    // Not trimmed: " 7f3e-aa " or "7\n" is not the ID LiveDesk holds (a trim let a line break through).
    expect(contactIdOf('{"payload":{"contact":{"id":" 7f3e-aa "}}}')).toBeUndefined();
    expect(contactIdOf('{"payload":{"contact":{"id":"7\\n"}}}')).toBeUndefined();
  });

  it('keeps a 5xx or 4xx whose body was cut what its status says', () => {
    const cut = { truncated: true, incomplete: 'timeout' as const };
    expect(classifyAnswer({ ...answer(503, 'Serv'), ...cut }, ctx)).toMatchObject({ kind: 'retry', code: 'server_error' });
    expect(classifyAnswer({ ...answer(422, '{"mess'), ...cut }, ctx)).toMatchObject({ kind: 'row', code: 'rejected' });
    expect(classifyAnswer({ ...answer(401, ''), ...cut }, ctx).kind).toBe('fatal');
  });

  it('strips control characters and bidi overrides from what the server says', () => {
    const c = classifyAnswer(answer(422, { message: 'Email \u001b[31mtaken\u001b[0m\u202e\u0007 twice' }), ctx);
    expect(c.kind === 'row' && c.message).toBe('LiveDesk rejected the row (HTTP 422): Email [31mtaken [0m twice');
    const big = classifyAnswer(answer(500, 'x'.repeat(2_000_000)), ctx);
    expect(big.kind === 'retry' && big.message.length).toBeLessThan(400);
  });

  it('stops the run on 401, 403 and 404 with what to check', () => {
    const c401 = classifyAnswer(answer(401, { error: 'Invalid Access Token' }), ctx);
    expect(c401.kind).toBe('fatal');
    expect(c401.kind === 'fatal' && c401.message).toMatch(/LIVEDESK_API_KEY/);
    expect(classifyAnswer(answer(403, 'Forbidden'), ctx).kind).toBe('fatal');
    const c404 = classifyAnswer(answer(404, { error: 'Resource could not be found' }), ctx);
    expect(c404.kind === 'fatal' && c404.message).toMatch(/inbox 407/);
  });

  it('fails a 422 with LiveDesk message and flags "already been taken"', () => {
    const c = classifyAnswer(answer(422, { message: 'Email has already been taken', attributes: ['email'] }), ctx);
    expect(c).toMatchObject({ kind: 'row', code: 'rejected', taken: true });
    expect(c.kind === 'row' && c.message).toContain('Email has already been taken');
    expect(classifyAnswer(answer(422, { message: 'Email Invalid email' }), ctx)).toMatchObject({ taken: false });
    expect(classifyAnswer(answer(400, 'bad'), ctx)).toMatchObject({ kind: 'row', code: 'rejected' });
  });

  it('says which keys a 422 calls taken: attributes, narrowed by the message; the message alone for older Chatwoot', () => {
    const keys = (body: unknown) => {
      const c = classifyAnswer(answer(422, body), ctx);
      return c.kind === 'row' ? c.takenKeys : 'not a row';
    };
    expect(keys({ message: 'Email has already been taken, Phone number has already been taken', attributes: ['email', 'phone_number'] })).toEqual(['email', 'phone_number']);
    // attributes lists every field with an error: the format error is not a taken key.
    expect(keys({ message: 'Email has already been taken, Phone number should be in e164 format', attributes: ['email', 'phone_number'] })).toEqual(['email']);
    expect(keys({ message: 'Identifier has already been taken' })).toEqual(['identifier']);
    // A wording we do not know: the attributes alone; neither: unknown (every key is probed).
    expect(keys({ message: 'Ya ha sido tomado: has already been taken', attributes: ['phone_number'] })).toEqual(['phone_number']);
    expect(keys({ message: 'Contact has already been taken' })).toBeUndefined();
    expect(keys({ message: 'Email Invalid email', attributes: ['email'] })).toBeUndefined();
  });

  it('a 2xx without an ID says why in `unread`, for the sender to look the contact up', () => {
    expect(classifyAnswer(answer(200, '<html>oops</html>', { 'content-type': 'text/html' }), ctx)).toMatchObject({
      kind: 'row',
      code: 'bad_response',
      unread: 'LiveDesk answered HTTP 200 but its body is not JSON (text/html: <html>oops</html>)',
    });
    expect(classifyAnswer(answer(422, { message: 'x' }), ctx)).not.toHaveProperty('unread');
  });

  it('update answers: payload.id (Chatwoot) or payload.contact.id; a 404 is the row\'s not_found, not fatal', () => {
    expect(classifyUpdate(answer(200, { payload: { id: 55, name: 'A' } }), '55', ctx)).toEqual({ kind: 'success', contactId: '55' });
    expect(classifyUpdate(answer(200, { payload: { contact: { id: 55 } } }), '55', ctx)).toEqual({ kind: 'success', contactId: '55' });
    expect(updatedIdOf('{"payload":{"id":12345678901234567890}}')).toBeUndefined();
    expect(classifyUpdate(answer(200, { payload: { id: 56 } }), '55', ctx)).toMatchObject({ kind: 'row', code: 'bad_response', message: expect.stringContaining('it names contact 56, not 55') });
    expect(classifyUpdate(answer(200, {}), '55', ctx)).toMatchObject({ code: 'bad_response', message: expect.stringMatching(/no usable payload\.id or payload\.contact\.id.*the update was most likely applied: check contact 55 in LiveDesk$/) });
    expect(classifyUpdate({ ...answer(200, { payload: { id: 55 } }), truncated: true, incomplete: 'connection' }, '55', ctx)).toMatchObject({ code: 'bad_response' });
    expect(classifyUpdate(answer(404, { error: 'Resource could not be found' }), '55', ctx)).toMatchObject({ kind: 'row', code: 'not_found', message: expect.stringContaining('LiveDesk contact 55 was not found') });
    expect(classifyUpdate(answer(401, { error: 'x' }), '55', ctx).kind).toBe('fatal');
    expect(classifyUpdate(answer(503, ''), '55', ctx)).toMatchObject({ kind: 'retry', code: 'server_error' });
    // A create answer stays strict: the notes document payload.contact.id for it.
    expect(contactIdOf('{"payload":{"id":55}}')).toBeUndefined();
  });

  it('retries 429 and honours Retry-After in seconds or as a date', () => {
    expect(classifyAnswer(answer(429, 'Retry later'), ctx)).toMatchObject({ kind: 'retry', code: 'rate_limited' });
    expect(classifyAnswer(answer(429, 'Retry later'), ctx)).not.toHaveProperty('retryAfterMs');
    expect(classifyAnswer(answer(429, 'x', { 'retry-after': '2' }), ctx)).toMatchObject({ retryAfterMs: 2000 });
    expect(classifyAnswer(answer(429, 'x', { 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }), ctx)).toMatchObject({ retryAfterMs: 3000 });
  });

  it('retries 5xx; only a gateway timeout is ambiguous', () => {
    expect(classifyAnswer(answer(500, { error: 'x' }), ctx)).toMatchObject({ kind: 'retry', code: 'server_error', ambiguous: false });
    expect(classifyAnswer(answer(503, ''), ctx)).toMatchObject({ kind: 'retry', ambiguous: false });
    expect(classifyAnswer(answer(504, ''), ctx)).toMatchObject({ kind: 'retry', ambiguous: true });
  });

  it('treats a redirect as fatal: credentials are never sent elsewhere', () => {
    const c = classifyAnswer(answer(301, '', { location: 'http://evil.example' }), ctx);
    expect(c.kind).toBe('fatal');
    expect(c.kind === 'fatal' && c.message).toMatch(/redirect \(HTTP 301 to http:\/\/evil\.example\); redirects are never followed.*--base-url/);
    expect(classifyAnswer(answer(308, ''), ctx)).toMatchObject({ kind: 'fatal', message: expect.stringMatching(/\(no Location\)/) });
  });
});

describe('classifyError', () => {
  it('a refused connection did not reach LiveDesk; a reset may have', () => {
    expect(classifyError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toMatchObject({ code: 'network', ambiguous: false });
    expect(classifyError(Object.assign(new Error('x'), { code: 'UND_ERR_SOCKET' }))).toMatchObject({ code: 'network', ambiguous: true });
    expect(classifyError(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toMatchObject({ code: 'network', ambiguous: true });
  });
  it('a certificate that fails verification stops the run: nothing was sent, a retry cannot help', () => {
    for (const code of ['DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY']) {
      const c = classifyError(Object.assign(new Error('x'), { code }));
      expect(c.kind, code).toBe('fatal');
      expect(c.kind === 'fatal' && c.message).toContain(code);
    }
  });
  it('cuts an auth token out of an error message', () => {
    const c = classifyError(Object.assign(new Error('bad header Basic aXQta2V5OnNlY3JldA== sent'), { code: 'UND_ERR_SOCKET' }));
    expect(c.kind === 'retry' && c.message).toBe('connection to LiveDesk failed (UND_ERR_SOCKET: bad header Basic [redacted] sent)');
  });
  it('timeouts are ambiguous', () => {
    expect(classifyError(Object.assign(new Error('x'), { code: 'UND_ERR_HEADERS_TIMEOUT' }))).toMatchObject({ code: 'timeout', ambiguous: true });
    expect(classifyError(Object.assign(new Error('x'), { code: 'REQUEST_TIMEOUT' }))).toMatchObject({ code: 'timeout' });
  });
});

describe('helpers', () => {
  it('parseRetryAfter ignores junk', () => {
    expect(parseRetryAfter(undefined, 0)).toBeUndefined();
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(parseRetryAfter('0', 0)).toBe(0);
    expect(parseRetryAfter('1.5', 0)).toBe(1500);
  });
  it('contactIdOf', () => {
    expect(contactIdOf('{"payload":{"contact":{"id":5}}}')).toBe('5');
    expect(contactIdOf('{"payload":{"contact":{"id":null}}}')).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { classifyAnswer, classifyError, contactIdOf, parseRetryAfter } from '../src/send/classify.js';
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
    expect(classifyAnswer(answer(301, '', { location: 'http://evil.example' }), ctx).kind).toBe('fatal');
  });
});

describe('classifyError', () => {
  it('a refused connection did not reach LiveDesk; a reset may have', () => {
    expect(classifyError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toMatchObject({ code: 'network', ambiguous: false });
    expect(classifyError(Object.assign(new Error('x'), { code: 'UND_ERR_SOCKET' }))).toMatchObject({ code: 'network', ambiguous: true });
    expect(classifyError(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toMatchObject({ code: 'network', ambiguous: true });
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

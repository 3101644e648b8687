// The stand-in's HTTP plumbing: answers as plain values, a capped JSON body reader, Basic
// credentials, and the two endless bodies the hostile modes send (10 MB, or a trickle).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiContact, type StandinContact } from './contacts.js';

export type Answer = { kind: 'answer'; status: number; body: string; headers: Record<string, string> };
export type Reply = Answer | { kind: 'reset' } | { kind: 'hang' } | { kind: 'huge'; contact: StandinContact } | { kind: 'neverEnd' };

const MAX_BODY_BYTES = 1024 * 1024;
const HUGE_BODY_BYTES = 10 * 1024 * 1024;
const TRICKLE_MS = 100;

export function json(status: number, value: unknown): Answer {
  return {
    kind: 'answer',
    status,
    body: JSON.stringify(value),
    headers: { 'content-type': 'application/json; charset=utf-8' },
  };
}

export function send(res: ServerResponse, reply: Answer): void {
  res.writeHead(reply.status, reply.headers).end(reply.body);
}

function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

class BodyTooLarge extends Error {}
class BadJson extends Error {}

export function internalError(error: unknown): Answer {
  return json(500, { error: 'Internal server error', detail: String(error) });
}

/** The answer for a body the client got wrong, or undefined for any other failure. */
export function bodyErrorReply(error: unknown): Answer | undefined {
  if (error instanceof BodyTooLarge) return json(413, { error: 'Request body too large' });
  if (error instanceof BadJson) return json(400, { error: error.message });
  return undefined;
}

/** Reads the whole body; past the cap it keeps draining so the client still gets its 413. */
async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  if (size > MAX_BODY_BYTES) throw new BodyTooLarge();
  return Buffer.concat(chunks).toString('utf8');
}

/** The body as a JSON object (`{}` when empty); throws what bodyErrorReply turns into a 400 or 413. */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(req);
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BadJson('body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BadJson('body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/** Hashing first gives timingSafeEqual equal lengths, so the length is not leaked either. */
export function sameSecret(a: string, b: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** `key:secret` from a Basic Authorization header, or '' when there is none. */
export function credentialsOf(req: IncomingMessage): string {
  const match = /^Basic\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1] === undefined ? '' : Buffer.from(match[1], 'base64').toString('utf8');
}

/** 10 MB of valid JSON, ID included, chunked (no Content-Length): only a capped read saves the client. */
export async function sendHuge(res: ServerResponse, contact: StandinContact, closing: AbortSignal): Promise<void> {
  const head = `{"payload":{"contact":${JSON.stringify(apiContact(contact))},"padding":"`;
  const tail = '"}}';
  const piece = 'x'.repeat(64 * 1024);
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
  res.write(head);
  for (let left = HUGE_BODY_BYTES - Buffer.byteLength(head) - tail.length; left > 0; left -= piece.length) {
    if (res.destroyed || closing.aborted) return;
    // A client that stops reading (as it should, past its cap) leaves us waiting for 'drain'
    // until it closes: wait for either.
    if (!res.write(left >= piece.length ? piece : piece.slice(0, left))) await drainedOrClosed(res);
  }
  if (!res.destroyed) res.end(tail);
}

/** 200 and a body start, then one byte every 100 ms until the client leaves or `closing` aborts. */
export function trickle(res: ServerResponse, closing: AbortSignal): void {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
  res.write('{"payload":');
  const timer = setInterval(() => {
    if (!res.destroyed) res.write(' ');
  }, TRICKLE_MS);
  const stop = (): void => {
    clearInterval(timer);
    closing.removeEventListener('abort', stop);
  };
  res.once('close', stop);
  closing.addEventListener('abort', stop, { once: true });
}

// Which base URLs the credentials may be sent to. Basic auth is the key and secret in base64, so
// over plain http anyone on the path can read them: http is allowed only to this machine (the
// stand-in, a local tunnel) unless the person says otherwise with --allow-insecure-http.
import { isIPv4, isIPv6 } from 'node:net';
import { UsageError } from '../errors.js';

/** The base URL would send the credentials in clear text: exit 2, nothing sent. */
export class TransportError extends UsageError {
  constructor(message: string) {
    super(message, { code: 'transport_error' });
  }
}

/**
 * A host that names this machine: 127.0.0.0/8, ::1 (also as an IPv4-mapped ::ffff:127.x.y.z),
 * `localhost` and `*.localhost` (RFC 6761 reserves them for loopback), with or without a trailing
 * dot. Takes `URL.hostname`, so IPv4 in other spellings (`127.1`, `0x7f000001`) is already
 * canonical and IPv6 comes in brackets.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIPv4(host)) return host.startsWith('127.');
  if (isIPv6(host)) return host === '::1' || /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(host) || /^::ffff:127\./.test(host);
  return false;
}

/**
 * Throws a TransportError unless the URL is https, or http to a loopback host, or http with
 * `--allow-insecure-http`. Call it on the resolved --base-url before any request is made.
 */
export function checkBaseUrlTransport(url: URL, allowInsecureHttp: boolean): void {
  if (url.protocol === 'https:') return;
  if (url.protocol !== 'http:') {
    throw new TransportError(`--base-url must be an https:// URL; got ${url.protocol}//${url.host}`);
  }
  if (isLoopbackHost(url.hostname) || allowInsecureHttp) return;
  throw new TransportError(
    `--base-url ${url.origin} is plain http to another machine: the API key and secret would cross the network unencrypted. ` +
      `Use https://${url.host}${url.pathname === '/' ? '' : url.pathname}, or pass --allow-insecure-http if the network path is trusted (http is always allowed to 127.0.0.1, ::1 and localhost).`,
  );
}

/**
 * Node turns certificate checks off for every connection when NODE_TLS_REJECT_UNAUTHORIZED=0. The
 * LiveDesk client sets rejectUnauthorized itself, so that has no effect on it; this says so, for
 * the person who set it expecting otherwise (print it as a warning).
 */
export function insecureTlsEnvNote(env: NodeJS.ProcessEnv): string | undefined {
  if (env.NODE_TLS_REJECT_UNAUTHORIZED !== '0') return undefined;
  return 'NODE_TLS_REJECT_UNAUTHORIZED=0 is ignored: livedesk-import always verifies the LiveDesk TLS certificate. For a private CA, add it with NODE_EXTRA_CA_CERTS=/path/to/ca.pem instead.';
}

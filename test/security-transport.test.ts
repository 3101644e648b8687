import { describe, expect, it } from 'vitest';
import { checkBaseUrlTransport, insecureTlsEnvNote, isLoopbackHost, TransportError } from '../src/security/transport.js';

const check = (url: string, allow = false) => () => checkBaseUrlTransport(new URL(url), allow);

describe('checkBaseUrlTransport', () => {
  it('allows https anywhere', () => {
    expect(check('https://livedesk-api.engagelab.com')).not.toThrow();
    expect(check('https://10.0.0.5:8443/prefix')).not.toThrow();
  });

  it.each([
    'http://127.0.0.1:4010',
    'http://127.255.3.4',
    'http://127.1:8080', // the URL parser makes it 127.0.0.1
    'http://0x7f000001/', // ditto
    'http://[::1]:4010',
    'http://[0:0:0:0:0:0:0:1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://localhost:4010',
    'http://LOCALHOST./',
    'http://standin.localhost:4010/api',
  ])('allows plain http to this machine: %s', (url) => {
    expect(check(url)).not.toThrow();
  });

  it.each([
    'http://livedesk-api.engagelab.com',
    'http://10.0.0.5:4010',
    'http://128.0.0.1',
    'http://[::2]/',
    'http://[::ffff:10.0.0.1]/',
    'http://localhost.evil.example',
    'http://127.0.0.1.nip.io',
    'http://0.0.0.0:4010',
  ])('refuses plain http to another machine: %s', (url) => {
    expect(check(url)).toThrow(TransportError);
    expect(check(url)).toThrow(/use https:\/\/.*or pass --allow-insecure-http/i);
  });

  it('--allow-insecure-http lets plain http through', () => {
    expect(check('http://10.0.0.5:4010', true)).not.toThrow();
  });

  it('suggests the https form of the same address', () => {
    expect(check('http://livedesk.example.com:8080/base')).toThrow('Use https://livedesk.example.com:8080/base, or pass --allow-insecure-http');
  });

  it('refuses other schemes even with --allow-insecure-http', () => {
    expect(check('ftp://127.0.0.1/', true)).toThrow(/must be an https:\/\/ URL/);
  });
});

describe('isLoopbackHost', () => {
  it('takes URL.hostname as it comes, brackets and all', () => {
    expect(isLoopbackHost('[::1]')).toBe(true);
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('127.0.0.53')).toBe(true);
    expect(isLoopbackHost('example.com')).toBe(false);
    expect(isLoopbackHost('')).toBe(false);
  });
});

describe('insecureTlsEnvNote', () => {
  it('speaks up only when NODE_TLS_REJECT_UNAUTHORIZED=0', () => {
    expect(insecureTlsEnvNote({})).toBeUndefined();
    expect(insecureTlsEnvNote({ NODE_TLS_REJECT_UNAUTHORIZED: '1' })).toBeUndefined();
    expect(insecureTlsEnvNote({ NODE_TLS_REJECT_UNAUTHORIZED: '0' })).toMatch(/ignored.*NODE_EXTRA_CA_CERTS/);
  });
});

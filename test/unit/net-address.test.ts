/** Addresses a node listens on and a client dials. */
import { describe, expect, it } from 'vitest';
import { DtxError } from '../../shared/errors.js';
import { isLoopbackHost, parseDialTarget, parseHostPort } from '../../shared/net-address.js';

describe('parseDialTarget', () => {
  it('takes HOST:PORT in plain text and https://HOST:PORT with TLS', () => {
    expect(parseDialTarget('lab-b.example:7700', 'url')).toEqual({ host: 'lab-b.example', port: 7700, tls: false, address: 'lab-b.example:7700' });
    expect(parseDialTarget('https://lab-b.example:7700', 'url')).toEqual({ host: 'lab-b.example', port: 7700, tls: true, address: 'lab-b.example:7700' });
    expect(parseDialTarget(' HTTPS://10.0.0.5:443/ ', 'url')).toEqual({ host: '10.0.0.5', port: 443, tls: true, address: '10.0.0.5:443' });
    expect(parseDialTarget('https://[2001:db8::1]:7700', 'url')).toEqual({ host: '2001:db8::1', port: 7700, tls: true, address: '[2001:db8::1]:7700' });
  });

  it('refuses other schemes, paths, missing or zero ports, naming the field', () => {
    for (const bad of ['http://lab-b.example:7700', 'grpc://lab-b.example:7700', 'https://lab-b.example:7700/dtx', 'https://lab-b.example', 'lab-b.example', 'https://lab-b.example:0', 'https://lab-b.example:70000', '']) {
      let error: unknown;
      try {
        parseDialTarget(bad, 'url');
      } catch (err) {
        error = err;
      }
      expect(error, bad).toBeInstanceOf(DtxError);
      expect((error as DtxError).code, bad).toBe('INVALID_ARGUMENT');
      expect((error as DtxError).message, bad).toMatch(/^url: /);
    }
  });
});

describe('parseHostPort', () => {
  it('takes port 0 for listening, and reports bad addresses as configuration errors', () => {
    expect(parseHostPort('127.0.0.1:0', 'grpc')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(() => parseHostPort('https://127.0.0.1:7700', 'grpc')).toThrow(/grpc: expected HOST:PORT/);
  });
});

describe('isLoopbackHost', () => {
  it('knows what never leaves the machine', () => {
    for (const host of ['localhost', 'LOCALHOST', 'dtx.localhost', '127.0.0.1', '127.1.2.3', '::1']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', '128.0.0.1', 'lab-b.example', 'localhost.example', '127.0.0.1.example', '::2']) expect(isLoopbackHost(host), host).toBe(false);
  });
});

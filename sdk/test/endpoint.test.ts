import { describe, expect, it } from 'vitest';
import { parseEndpoint } from '../src/index.js';

describe('parseEndpoint', () => {
  it('takes DNS names, IPv4 and bracketed IPv6 with a port', () => {
    expect(parseEndpoint('vpn1.example.net:51820')).toEqual({ host: 'vpn1.example.net', port: 51820 });
    expect(parseEndpoint('203.0.113.7:1')).toEqual({ host: '203.0.113.7', port: 1 });
    expect(parseEndpoint('[2001:db8::1]:65535')).toEqual({ host: '2001:db8::1', port: 65535 });
    expect(parseEndpoint('localhost:51820')).toEqual({ host: 'localhost', port: 51820 });
    expect(parseEndpoint('[::1]:51820')).toEqual({ host: '::1', port: 51820 });
    expect(parseEndpoint('[::ffff:203.0.113.7]:51820')).toEqual({ host: '::ffff:203.0.113.7', port: 51820 });
  });

  it.each([
    ['not an endpoint', 'is not HOST:PORT'],
    ['vpn.example.net', 'is not HOST:PORT'],
    ['vpn.example.net:', 'is not HOST:PORT'],
    [':51820', 'is not HOST:PORT'],
    ['vpn.example.net:0', 'outside 1..65535'],
    ['vpn.example.net:70000', 'outside 1..65535'],
    ['300.1.1.1:51820', 'is not an IPv4 address'],
    ['-bad-.example:51820', 'is not a host name'],
    ['under_score.example:51820', 'is not a host name'],
    ['2001:db8::1:51820', 'is not HOST:PORT'],
    ['[2001:db8:::1:2:3:4:5:6]:51820', 'is not an IPv6 address'],
    ['[1:2:3]:51820', 'is not an IPv6 address'],
    ['[:::]:51820', 'is not an IPv6 address'],
    ['[fe80::1%eth0]:51820', 'is not HOST:PORT'],
    ['0.0.0.0:51820', 'unspecified address'],
    ['[::]:51820', 'unspecified address'],
    ['[0:0::0]:51820', 'unspecified address'],
    ['', 'must be 1..64 bytes'],
    [`${'a'.repeat(60)}.net:51820`, 'must be 1..64 bytes'],
  ])('refuses %j', (text, why) => {
    expect(() => parseEndpoint(text)).toThrow(why);
  });
});

// A node's endpoint as the program stores it and clients dial it: HOST:PORT.
import { MAX_ENDPOINT_LEN } from './constants.js';

export interface Endpoint {
  /** A DNS name, an IPv4 address, or an IPv6 address (without its brackets). */
  host: string;
  port: number;
}

const LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** 0.0.0.0 and :: mean "any address" to a server; a client dialing them reaches only itself. */
const unspecified = (text: string) => `endpoint "${text}": the unspecified address (any address) cannot be dialed; give the node's public address or name`;

/**
 * Parses "vpn.example.net:51820", "203.0.113.7:51820" or "[2001:db8::1]:51820";
 * throws an Error saying what is wrong otherwise (a WireGuard client could not dial it).
 */
export function parseEndpoint(text: string): Endpoint {
  const bytes = new TextEncoder().encode(text).length;
  if (bytes < 1 || bytes > MAX_ENDPOINT_LEN) throw new Error(`endpoint must be 1..${MAX_ENDPOINT_LEN} bytes (got ${bytes})`);
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text);
  if (!m) throw new Error(`endpoint "${text}" is not HOST:PORT (e.g. vpn.example.net:51820, 203.0.113.7:51820, [2001:db8::1]:51820)`);
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw new Error(`endpoint "${text}": port ${port} is outside 1..65535`);
  if (m[1] !== undefined) {
    const ip6 = m[1];
    // The WHATWG URL parser (browsers and Node alike) implements the full IPv6 grammar: "::", an embedded IPv4 tail.
    if (!URL.canParse(`http://[${ip6}]/`)) throw new Error(`endpoint "${text}": "${ip6}" is not an IPv6 address`);
    if (new URL(`http://[${ip6}]/`).hostname === '[::]') throw new Error(unspecified(text));
    return { host: ip6, port };
  }
  const host = m[2];
  if (/^[\d.]+$/.test(host)) {
    if (!IPV4.test(host)) throw new Error(`endpoint "${text}": "${host}" is not an IPv4 address`);
    if (host === '0.0.0.0') throw new Error(unspecified(text));
    return { host, port };
  }
  const labels = host.replace(/\.$/, '').split('.');
  if (host.length > 253 || !labels.every((l) => LABEL.test(l))) throw new Error(`endpoint "${text}": "${host}" is not a host name`);
  return { host, port };
}

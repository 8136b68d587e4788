// The client's WireGuard configuration, as structured fields and as a
// wg-quick file. The daemon never sees the client's private key: the text has
// no PrivateKey line; the client adds `PrivateKey = <its key>` under
// [Interface] (dvpn connect does).
export interface ClientConfig {
  interface: { address: string; dns: string[]; mtu?: number };
  peer: { publicKey: string; endpoint: string; allowedIps: string[]; persistentKeepalive: number };
}

export function clientConfigText(c: ClientConfig, privateKey?: string): string {
  const lines = ['[Interface]'];
  if (privateKey) lines.push(`PrivateKey = ${privateKey}`);
  lines.push(`Address = ${c.interface.address}`);
  if (c.interface.dns.length > 0) lines.push(`DNS = ${c.interface.dns.join(', ')}`);
  if (c.interface.mtu) lines.push(`MTU = ${c.interface.mtu}`);
  lines.push('', '[Peer]', `PublicKey = ${c.peer.publicKey}`, `Endpoint = ${c.peer.endpoint}`, `AllowedIPs = ${c.peer.allowedIps.join(', ')}`);
  if (c.peer.persistentKeepalive > 0) lines.push(`PersistentKeepalive = ${c.peer.persistentKeepalive}`);
  return `${lines.join('\n')}\n`;
}

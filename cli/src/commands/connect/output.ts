// Where `dvpn connect` leaves its result: the wg-quick config file (mode 0600)
// and the "connected" report.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { wgQuickConfig, type AuthAnswer } from '@dvpn/sdk';
import type { Context } from '../../context.js';
import { dvpnHome } from '../../state.js';
import { emit, type ConnectOptions } from './shared.js';

/** Writes the client's wg-quick config (--out, default $DVPN_HOME/wireguard/<session>.conf); returns its path. */
export function writeClientConfig(o: ConnectOptions, session: string, answer: AuthAnswer, privateKey: string): string {
  const configPath = o.out ?? join(dvpnHome(), 'wireguard', `${session}.conf`);
  mkdirSync(dirname(configPath), { recursive: true, mode: 0o700 });
  writeFileSync(configPath, wgQuickConfig(answer.wireguard, privateKey), { mode: 0o600 });
  chmodSync(configPath, 0o600);
  return configPath;
}

/** The "connected" event: the tunnel's address and config, and how to bring it up (or undo it). */
export function reportConnected(
  ctx: Context,
  p: { session: string; answer: AuthAnswer; clientPublicKey: string; configPath: string; iface: string | undefined; fullTunnel: boolean; o: ConnectOptions },
): void {
  const { session, answer, configPath, iface, o } = p;
  emit(
    ctx,
    'connected',
    {
      session,
      address: answer.wireguard.interface.address,
      serverPublicKey: answer.wireguard.peer.publicKey,
      endpoint: answer.wireguard.peer.endpoint,
      clientPublicKey: p.clientPublicKey,
      config: configPath,
      interface: o.apply ? iface : null,
      fullTunnel: p.fullTunnel,
      killSwitch: p.fullTunnel && o.killSwitch !== false,
      payment: answer.payment,
    },
    `Connected: ${answer.wireguard.interface.address} via ${answer.wireguard.peer.endpoint}\n  config written to ${configPath}${
      o.apply
        ? `\n  interface ${iface} is up${p.fullTunnel ? `: all IPv4 traffic goes through it${o.killSwitch !== false ? ', kill switch on (nothing leaves outside the tunnel)' : ''}${o.dns !== false && answer.wireguard.interface.dns.length > 0 ? `, DNS ${answer.wireguard.interface.dns.join(', ')}` : ''}` : ''}\n  if this process is killed, restore with: dvpn connect --down --interface ${iface}`
        : `\n  bring it up with: wg-quick up ${configPath}`
    }`,
  );
}

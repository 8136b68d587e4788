// `dvpn connect <NODE>`: open (or reuse) a session on a node, generate a
// WireGuard key, authenticate with the node's daemon (wallet signature over
// the SDK auth message), write the client config, optionally bring the tunnel
// up here (wireguard-go + wg setconf + ip), and in usage mode pay ticks
// (hash-chain preimages) while the tunnel serves — and stop paying when it
// does not. Each concern lives in connect/: daemon-api (probe and calls),
// choose-session, auth, output (config file), tunnel (--apply), serve (ticks),
// down (--down); this file is the command and the order of the steps.
import { Command, Option } from 'commander';
import { SessionMode, isValidInterfaceName } from '@dvpn/sdk';
import { resolveNode } from '../accounts.js';
import type { Context } from '../context.js';
import { CliError } from '../errors.js';
import { parseInteger } from '../format.js';
import { checkDuration } from '../open-session.js';
import { withContext } from '../run.js';
import { authenticate } from './connect/auth.js';
import { chooseSession } from './connect/choose-session.js';
import { defaultApiUrl, probeDaemon } from './connect/daemon-api.js';
import { connectDown } from './connect/down.js';
import { reportConnected, writeClientConfig } from './connect/output.js';
import { serve } from './connect/serve.js';
import { emit, type ConnectOptions } from './connect/shared.js';
import { LocalTunnel } from './connect/tunnel.js';

export { defaultApiUrl } from './connect/daemon-api.js';
export { connectDown } from './connect/down.js';
export { handshakeAge, ownTickLimit, probeTunnel, tickIntervalSeconds, tickToPay } from './connect/serve.js';
export { debtAllowance } from './connect/auth.js';
export type { ConnectOptions } from './connect/shared.js';
export type { TunnelOptions } from './connect/tunnel.js';

export async function connect(ctx: Context, nodeArg: string | undefined, o: ConnectOptions): Promise<void> {
  if (o.interface !== undefined && !isValidInterfaceName(o.interface)) throw new CliError(`--interface: "${o.interface}" is not an interface name`);
  if (o.down) return connectDown(ctx, o);
  if (!nodeArg) throw new CliError('missing NODE (or pass --down to clean up a tunnel)');
  const iface = o.interface ?? (o.apply ? 'dvpn0' : undefined);
  const needsInterface = 'usage sessions pay while the tunnel serves: pass --apply, or --interface NAME of the tunnel you bring up with the written config';
  if (o.usage && !iface) throw new CliError(needsInterface);
  // What can be refused locally is refused before any network call (the probe included).
  if (o.minutes) checkDuration(Number(parseInteger(o.minutes, '--minutes', 1n, 0xffff_ffffn)), !!o.usage);
  const { address: node, account: nodeAcc } = await resolveNode(ctx, nodeArg);
  const base = o.api ?? defaultApiUrl(nodeAcc.endpoint);
  await probeDaemon(base, node);
  const chosen = await chooseSession(ctx, node, nodeAcc, o);
  const session = chosen.address.toBase58();
  const usageMode = chosen.account.mode === SessionMode.Usage;
  if (usageMode && !iface) throw new CliError(needsInterface);
  const ignored = chosen.opened ? [] : (['sol', 'usdc', 'minutes', 'usage', 'ticks', 'tickAmount'] as const).filter((k) => o[k] !== undefined);
  const flag = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  emit(
    ctx,
    'session',
    { session, opened: chosen.opened, reused: !chosen.opened, mode: usageMode ? 'usage' : 'time', endTs: chosen.account.endTs, ignoredOptions: ignored.map(flag) },
    chosen.opened
      ? `Opened session ${session} (${usageMode ? 'usage' : 'time'})`
      : `Reusing your session ${session} (${usageMode ? 'usage' : 'time'}, ends ${new Date(Number(chosen.account.endTs) * 1000).toISOString()}, ${chosen.account.remainingBalance} left in escrow)` +
          (ignored.length > 0 ? `: ${ignored.map(flag).join(' ')} ignored, nothing paid; pass --new to open another session` : ''),
  );

  const { keys, answer } = await authenticate(ctx, base, chosen, nodeAcc);
  const configPath = writeClientConfig(o, session, answer, keys.privateKey);

  let tunnel: LocalTunnel | null = null;
  if (o.apply) {
    tunnel = new LocalTunnel(iface!, o.wireguardGo, {
      killSwitch: o.killSwitch !== false,
      dns: o.dns !== false,
      resolvConf: o.resolvConf,
      apiUrl: base,
      note: (line) => emit(ctx, 'note', { message: line }, line),
    });
    try {
      await tunnel.up(answer, keys.privateKey);
    } catch (err) {
      await tunnel.down();
      throw err;
    }
  }
  reportConnected(ctx, { session, answer, clientPublicKey: keys.publicKey, configPath, iface: o.apply ? iface : undefined, fullTunnel: tunnel?.full ?? false, o });

  // A time session without --apply: the config is written; there is nothing to pay or watch here.
  if (!usageMode && !o.apply) return;

  let stop = false;
  let reason = 'interrupted';
  const onSignal = () => {
    stop = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    reason = await serve(ctx, { base, session, answer, chain: chosen.hashChain, chainTick: chosen.account.lastTick, iface: iface!, o, stopped: () => stop });
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await tunnel?.down();
  }
  emit(ctx, 'disconnected', { session, reason }, `Disconnected (${reason})`);
}

export function connectCommand(): Command {
  return new Command('connect')
    .argument('[NODE]', 'Node address (or the node id of your own provider); not with --down')
    .description('Connect to a node: open or reuse a session, authenticate with its daemon, write (and --apply) the WireGuard config; usage sessions pay ticks while the tunnel serves')
    .option('--session <SESSION>', 'use this session (default: your newest usable session on the node, else open one)')
    .option('--new', 'always open a new session')
    .addOption(new Option('--sol', 'open the session paying SOL').conflicts('usdc'))
    .addOption(new Option('--usdc', 'open the session paying the Config token (USDC)').conflicts('sol'))
    .option('--minutes <N>', 'new session: minutes bought (time) or maximum duration (usage)')
    .option('--usage', "new session: pay per tick through a hash chain at the node's price per tick (needs --ticks)")
    .option('--ticks <N>', 'new usage session: ticks escrowed (hash chain length)')
    .option('--tick-amount <AMOUNT>', "new usage session: the price per tick you expect (SOL or USDC); refused unless it is the node's")
    .option('--api <URL>', "node daemon API (default: http://<node endpoint>, the daemon's TCP port equals WireGuard's UDP port)")
    .option('--out <PATH>', 'where to write the WireGuard config (default: $DVPN_HOME/wireguard/<session>.conf, mode 0600)')
    .option(
      '--apply',
      "bring the tunnel up in this network namespace (root): wireguard-go + wg + ip; with the node's 0.0.0.0/0 a full tunnel (policy routing, the node's DNS, kill switch); undone on exit",
    )
    .option('--down', 'undo what a killed `connect --apply` left on --interface (routes, rules, resolv.conf, kill switch, wireguard-go) from its state file')
    .option('--no-kill-switch', 'full tunnel without the nftables kill switch (traffic leaks outside if the tunnel drops)')
    .option('--no-dns', "full tunnel: leave resolv.conf alone (the node's DNS is not used)")
    .option('--resolv-conf <PATH>', 'the resolv.conf a full tunnel rewrites (restored on exit)', '/etc/resolv.conf')
    .option('--interface <NAME>', 'interface name (--apply: created, default dvpn0; otherwise the tunnel you brought up, watched before paying)')
    .option('--wireguard-go <PATH>', 'wireguard-go binary for --apply', 'wireguard-go')
    .option('--handshake-timeout <SECONDS>', 'give up when the tunnel does not serve within this many seconds of connecting', '60')
    .addHelpText(
      'after',
      `
The node's daemon checks the session on chain and your wallet signature, adds
your WireGuard key as a peer and answers the tunnel config; the server key is
checked against the node's key on chain. Usage sessions pay one tick ahead of
what the node says is owed, only while the node answers through the tunnel
(its probe address, else a fresh handshake): stop the command (Ctrl-C) or lose
the tunnel and payments stop. Cut for not paying? Run it again with --session:
it pays what is owed and reconnects.

Examples:
  $ dvpn connect 5Fh3...Xk --sol --minutes 30 --out wg-dvpn.conf && wg-quick up ./wg-dvpn.conf
  $ sudo dvpn connect 5Fh3...Xk --sol --usage --ticks 1000 --minutes 120 --apply
  $ sudo dvpn connect 5Fh3...Xk --session 9qW2...Lm --apply --interface dvpn1 --json
  $ sudo dvpn connect --down --interface dvpn1     # after the command above was killed

A full tunnel (the node's AllowedIPs hold 0.0.0.0/0) routes everything but the
node itself through the tunnel as wg-quick does (fwmark + table 51820 +
suppress_prefixlength rule), writes the node's DNS into resolv.conf and loads
an nftables kill switch (table inet dvpn_ks_<iface>): only the tunnel, loopback
and the node's WireGuard/API ports get out, everything else (IPv6 included:
the tunnel is IPv4) is rejected, also when the tunnel drops. All of it is
recorded in $DVPN_HOME/tunnels/<iface>.json first and undone on exit.`,
    )
    .action(withContext(async (ctx, nodeArg: string | undefined, o: ConnectOptions) => connect(ctx, nodeArg, o)));
}

/** Adds `connect` to the `dvpn` program (the CLI main calls this, like the other commands' factories). */
export function registerConnect(program: Command, _ctx?: unknown): Command {
  program.addCommand(connectCommand());
  return program;
}

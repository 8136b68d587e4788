// What the parts of `dvpn connect` share: its options and its event output.
import { out, type Context } from '../../context.js';
import { toPlain } from '../../format.js';
import type { OpenSessionFlags } from '../../open-session.js';

export interface ConnectOptions extends OpenSessionFlags {
  session?: string;
  new?: boolean;
  api?: string;
  out?: string;
  apply?: boolean;
  interface?: string;
  wireguardGo: string;
  handshakeTimeout: string;
  down?: boolean;
  /** --no-kill-switch sets false. */
  killSwitch: boolean;
  /** --no-dns sets false. */
  dns: boolean;
  resolvConf: string;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One event: a JSON line with --json, else the human text. */
export function emit(ctx: Context, event: string, value: Record<string, unknown>, human: string): void {
  if (ctx.json) process.stdout.write(`${JSON.stringify(toPlain({ event, ...value }))}\n`);
  else out(human);
}

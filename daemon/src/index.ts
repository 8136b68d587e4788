// @dvpn/daemon: the DVPN node daemon as a library.
export { DvpnDaemon, run } from './daemon.js';
export { AppContext, type ContextOverrides } from './context.js';
export { ConfigSchema, ConfigError, loadConfig, parseConfig, configFromEnv, type DaemonConfig, type DaemonConfigInput } from './config.js';
export { WireGuard, parseDump, WgCommandError, type WgDriver, type WgDump, type WgPeerStats } from './wireguard/wg.js';
export { AddressPool, PoolExhaustedError } from './wireguard/pool.js';
export { isValidWgKey, generateWgKeypair, wgPublicKeyOf, wgKeyFromBytes, wgKeyToBytes } from './wireguard/keys.js';
export { clientConfigText, type ClientConfig } from './wireguard/client-config.js';
export { StateStore } from './state/store.js';
export { disputeDeadline, planClaim, settleDeadline } from './sessions/claimer.js';
export type { AuthResult, PaymentView } from './sessions/manager.js';

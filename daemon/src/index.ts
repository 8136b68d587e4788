// @dvpn/daemon: the DVPN node daemon as a library.
export { DvpnDaemon, run } from './daemon.js';
export { AppContext, type ContextOverrides } from './context.js';
export { ConfigSchema, ConfigError, loadConfig, parseConfig, configFromEnv, type DaemonConfig, type DaemonConfigInput } from './config.js';
export { WireGuard, parseDump, WgCommandError, type WgDriver, type WgDump, type WgPeerStats } from './wireguard/wg.js';
export { AddressPool, PoolExhaustedError } from './wireguard/pool.js';
export { isValidWgKey, wgPublicKeyOf, wgKeyFromBytes, wgKeyToBytes } from './wireguard/keys.js';
export { StateStore } from './state/store.js';
export { planClaim } from './sessions/claimer.js';
export { disputeDeadline, settleDeadline } from '@dvpn/sdk';
// The answer types, key generator and config writer live in the SDK (shared with the CLI and the app).
export { generateWgKeypair, wgQuickConfig, type AuthResult, type PaymentView, type WgClientConfig } from '@dvpn/sdk';

// @dvpn/sdk: browser-safe client of the dvpn program (no node: imports here).
export * from './constants.js';
export * from './pda.js';
export * from './instructions.js';
export * from './accounts.js';
export * from './events.js';
export * from './errors.js';
export * from './hashchain.js';
export * from './auth.js';
export * from './amounts.js';
export * from './endpoint.js';
export * from './cluster.js';
export type { Decoded, TsOf } from './decode.js';
export type { Camel, ErrorName, InputOf, InstructionName, IxAccounts, IxArgs } from './contract.js';
export * from './wireguard.js';
export * from './daemon-api.js';
export * from './settle.js';

import { useQuery } from '../gql.js';

export interface ProgramConfig {
  treasury: string;
  tokenMint: string;
  unbondingSeconds: string;
  minProviderStake: string;
  protocolFeeBps: number;
  settleWindowSeconds: string;
}

const CONFIG = `{ config { treasury tokenMint unbondingSeconds minProviderStake protocolFeeBps settleWindowSeconds } }`;

/** The program's Config as the API indexed it (null until it answers). */
export function useProgramConfig(): ProgramConfig | null {
  return useQuery<{ config: ProgramConfig | null }>(CONFIG, {}).data?.config ?? null;
}

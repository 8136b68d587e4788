import { AppConfigDocument, type AppConfigQuery } from '../generated/graphql.js';
import { useQuery } from '../gql.js';

export type ProgramConfig = NonNullable<AppConfigQuery['config']>;

/** The program's Config as the API indexed it (null until it answers). */
export function useProgramConfig(): ProgramConfig | null {
  return useQuery(AppConfigDocument, {}).data?.config ?? null;
}

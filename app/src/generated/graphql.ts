/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** What a session pays in: SOL (lamports) or the configured SPL token (base units). */
export type Currency =
  | 'SOL'
  | 'TOKEN';

/** TIME: pro-rata by elapsed time; USAGE: hash-chain ticks (PayWord). */
export type SessionMode =
  | 'TIME'
  | 'USAGE';

/** On-chain session states, plus SETTLED: claim_payout paid out and closed the Session account. */
export type SessionState =
  | 'ACTIVE'
  | 'CLOSED'
  | 'CLOSING'
  | 'DISPUTED'
  | 'RESOLVED'
  | 'SETTLED';

export type AppMarketQueryVariables = Exact<{ [key: string]: never; }>;


export type AppMarketQuery = { stats: { nodes: string, activeNodes: string, providers: string, sessions: string, activeSessions: string, openSessions: string, totalCapacity: string, freeCapacity: string, volumeLamports: string, volumeToken: string, feesLamports: string, feesToken: string, escrowLockedLamports: string, escrowLockedToken: string, byRegion: Array<{ region: string, sessions: string, activeSessions: string, volumeLamports: string, volumeToken: string, nodes: string, totalCapacity: string, freeCapacity: string }> }, dailyVolume: Array<{ day: string, region: string, currency: Currency, sessionsOpened: string, paidVolume: string, escrowVolume: string, refundVolume: string, feeVolume: string }>, nodeUtilisation: Array<{ node: string, region: string, activeSessions: string, maxCapacity: string, utilisation: string | null, totalSessions: string }>, providerEarnings: Array<{ provider: string, authority: string, currency: Currency, earnedAmount: string, feeAmount: string, payments: string, sessions: string }> };

export type AppMarketSessionsSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type AppMarketSessionsSubscription = { sessionChanged: { cause: string } };

export type AppMarketCapacitySubscriptionVariables = Exact<{ [key: string]: never; }>;


export type AppMarketCapacitySubscription = { nodeCapacity: { cause: string } };

export type AppConfigQueryVariables = Exact<{ [key: string]: never; }>;


export type AppConfigQuery = { config: { treasury: string, tokenMint: string, unbondingSeconds: string, minProviderStake: string, protocolFeeBps: number, settleWindowSeconds: string } | null };

export type AppProviderQueryVariables = Exact<{
  a: string;
  p: string;
}>;


export type AppProviderQuery = { provider: { pubkey: string, stakeLamports: string, unstakingLamports: string, unstakeAt: string | null, totalEarnedLamports: string, totalEarnedToken: string, reputationScore: number, nodeCount: string, totalSessions: string, nodes: { nodes: Array<{ pubkey: string, nodeId: string, region: string, endpoint: string, isActive: boolean, pricePerMinute: string, pricePerMinuteToken: string, pricePerTick: string, pricePerTickToken: string, maxCapacity: string, activeSessions: string, freeCapacity: string, totalSessions: string, wgServerPubkey: string }> } } | null, nodeUtilisation: Array<{ node: string, earnedLamports: string, earnedToken: string, utilisation: string | null }> };

export type AppProviderCapacitySubscriptionVariables = Exact<{
  p: string;
}>;


export type AppProviderCapacitySubscription = { nodeCapacity: { nodePubkey: string, freeCapacity: string, activeSessions: string, cause: string } };

export type AppProviderSessionsSubscriptionVariables = Exact<{
  p: string;
  after?: string | null | undefined;
}>;


export type AppProviderSessionsSubscription = { sessionChanged: { seq: string | null, sessionPubkey: string, nodePubkey: string, user: string, state: SessionState, previousState: SessionState | null, cause: string, currency: Currency, claimedAmount: string, refundedAmount: string, escrowAmount: string, timestamp: string } };

export type AppProviderStakeSubscriptionVariables = Exact<{
  p: string;
}>;


export type AppProviderStakeSubscription = { events: { name: string } };

export type AppNodesQueryVariables = Exact<{ [key: string]: never; }>;


export type AppNodesQuery = { nodes: { nodes: Array<{ pubkey: string, providerPubkey: string, region: string, endpoint: string, pricePerMinute: string, pricePerMinuteToken: string, pricePerTick: string, pricePerTickToken: string, freeCapacity: string, maxCapacity: string, activeSessions: string, providerReputation: number, isActive: boolean, provider: { authority: string } }> } };

export type AppNodeCapacitySubscriptionVariables = Exact<{ [key: string]: never; }>;


export type AppNodeCapacitySubscription = { nodeCapacity: { nodePubkey: string, freeCapacity: string, activeSessions: string, cause: string } };

export type AppNodeEventsSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type AppNodeEventsSubscription = { events: { name: string } };

export type AppSessionFieldsFragment = { pubkey: string, state: SessionState, mode: SessionMode, currency: Currency, escrowAmount: string, claimedAmount: string, refundedAmount: string, remainingBalance: string, lastTick: string, maxTicks: string, tickAmount: string, startTs: string, endTs: string, rated: boolean, nodePubkey: string, providerPubkey: string, paymentMint: string, node: { endpoint: string, region: string }, provider: { authority: string }, claims: { totalCount: number } };

export type AppMySessionsQueryVariables = Exact<{
  user: string;
}>;


export type AppMySessionsQuery = { sessions: { nodes: Array<{ pubkey: string, state: SessionState, mode: SessionMode, currency: Currency, escrowAmount: string, claimedAmount: string, refundedAmount: string, remainingBalance: string, lastTick: string, maxTicks: string, tickAmount: string, startTs: string, endTs: string, rated: boolean, nodePubkey: string, providerPubkey: string, paymentMint: string, node: { endpoint: string, region: string }, provider: { authority: string }, claims: { totalCount: number } }> } };

export type AppMySessionChangesSubscriptionVariables = Exact<{
  user: string;
}>;


export type AppMySessionChangesSubscription = { sessionChanged: { sessionPubkey: string, state: SessionState, cause: string } };

export type AppSessionQueryVariables = Exact<{
  s: string;
}>;


export type AppSessionQuery = { session: { pubkey: string, state: SessionState, mode: SessionMode, currency: Currency, escrowAmount: string, claimedAmount: string, refundedAmount: string, remainingBalance: string, lastTick: string, maxTicks: string, tickAmount: string, startTs: string, endTs: string, rated: boolean, nodePubkey: string, providerPubkey: string, paymentMint: string, node: { endpoint: string, region: string }, provider: { authority: string }, claims: { totalCount: number } } | null };

export type AppSessionLiveSubscriptionVariables = Exact<{
  s: string;
  after?: string | null | undefined;
}>;


export type AppSessionLiveSubscription = { sessionChanged: { seq: string | null, state: SessionState, cause: string, claimedAmount: string, refundedAmount: string, remainingBalance: string, lastTick: string, timestamp: string } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const AppSessionFieldsFragmentDoc = new TypedDocumentString(`
    fragment AppSessionFields on Session {
  pubkey
  state
  mode
  currency
  escrowAmount
  claimedAmount
  refundedAmount
  remainingBalance
  lastTick
  maxTicks
  tickAmount
  startTs
  endTs
  rated
  nodePubkey
  providerPubkey
  paymentMint
  node {
    endpoint
    region
  }
  provider {
    authority
  }
  claims(first: 1) {
    totalCount
  }
}
    `, {"fragmentName":"AppSessionFields"}) as unknown as TypedDocumentString<AppSessionFieldsFragment, unknown>;
export const AppMarketDocument = new TypedDocumentString(`
    query AppMarket {
  stats {
    nodes
    activeNodes
    providers
    sessions
    activeSessions
    openSessions
    totalCapacity
    freeCapacity
    volumeLamports
    volumeToken
    feesLamports
    feesToken
    escrowLockedLamports
    escrowLockedToken
    byRegion {
      region
      sessions
      activeSessions
      volumeLamports
      volumeToken
      nodes
      totalCapacity
      freeCapacity
    }
  }
  dailyVolume(limit: 90) {
    day
    region
    currency
    sessionsOpened
    paidVolume
    escrowVolume
    refundVolume
    feeVolume
  }
  nodeUtilisation(limit: 50) {
    node
    region
    activeSessions
    maxCapacity
    utilisation
    totalSessions
  }
  providerEarnings(limit: 20) {
    provider
    authority
    currency
    earnedAmount
    feeAmount
    payments
    sessions
  }
}
    `) as unknown as TypedDocumentString<AppMarketQuery, AppMarketQueryVariables>;
export const AppMarketSessionsDocument = new TypedDocumentString(`
    subscription AppMarketSessions {
  sessionChanged {
    cause
  }
}
    `) as unknown as TypedDocumentString<AppMarketSessionsSubscription, AppMarketSessionsSubscriptionVariables>;
export const AppMarketCapacityDocument = new TypedDocumentString(`
    subscription AppMarketCapacity {
  nodeCapacity {
    cause
  }
}
    `) as unknown as TypedDocumentString<AppMarketCapacitySubscription, AppMarketCapacitySubscriptionVariables>;
export const AppConfigDocument = new TypedDocumentString(`
    query AppConfig {
  config {
    treasury
    tokenMint
    unbondingSeconds
    minProviderStake
    protocolFeeBps
    settleWindowSeconds
  }
}
    `) as unknown as TypedDocumentString<AppConfigQuery, AppConfigQueryVariables>;
export const AppProviderDocument = new TypedDocumentString(`
    query AppProvider($a: Pubkey!, $p: Pubkey!) {
  provider(authority: $a) {
    pubkey
    stakeLamports
    unstakingLamports
    unstakeAt
    totalEarnedLamports
    totalEarnedToken
    reputationScore
    nodeCount
    totalSessions
    nodes(first: 100) {
      nodes {
        pubkey
        nodeId
        region
        endpoint
        isActive
        pricePerMinute
        pricePerMinuteToken
        pricePerTick
        pricePerTickToken
        maxCapacity
        activeSessions
        freeCapacity
        totalSessions
        wgServerPubkey
      }
    }
  }
  nodeUtilisation(provider: $p, limit: 100) {
    node
    earnedLamports
    earnedToken
    utilisation
  }
}
    `) as unknown as TypedDocumentString<AppProviderQuery, AppProviderQueryVariables>;
export const AppProviderCapacityDocument = new TypedDocumentString(`
    subscription AppProviderCapacity($p: Pubkey!) {
  nodeCapacity(provider: $p) {
    nodePubkey
    freeCapacity
    activeSessions
    cause
  }
}
    `) as unknown as TypedDocumentString<AppProviderCapacitySubscription, AppProviderCapacitySubscriptionVariables>;
export const AppProviderSessionsDocument = new TypedDocumentString(`
    subscription AppProviderSessions($p: Pubkey!, $after: BigInt) {
  sessionChanged(provider: $p, after: $after) {
    seq
    sessionPubkey
    nodePubkey
    user
    state
    previousState
    cause
    currency
    claimedAmount
    refundedAmount
    escrowAmount
    timestamp
  }
}
    `) as unknown as TypedDocumentString<AppProviderSessionsSubscription, AppProviderSessionsSubscriptionVariables>;
export const AppProviderStakeDocument = new TypedDocumentString(`
    subscription AppProviderStake($p: Pubkey!) {
  events(provider: $p, names: [StakeChanged, Slashed, ReputationUpdated]) {
    name
  }
}
    `) as unknown as TypedDocumentString<AppProviderStakeSubscription, AppProviderStakeSubscriptionVariables>;
export const AppNodesDocument = new TypedDocumentString(`
    query AppNodes {
  nodes(
    first: 100
    filter: {active: true}
    orderBy: {field: REPUTATION, direction: DESC}
  ) {
    nodes {
      pubkey
      providerPubkey
      region
      endpoint
      pricePerMinute
      pricePerMinuteToken
      pricePerTick
      pricePerTickToken
      freeCapacity
      maxCapacity
      activeSessions
      providerReputation
      isActive
      provider {
        authority
      }
    }
  }
}
    `) as unknown as TypedDocumentString<AppNodesQuery, AppNodesQueryVariables>;
export const AppNodeCapacityDocument = new TypedDocumentString(`
    subscription AppNodeCapacity {
  nodeCapacity {
    nodePubkey
    freeCapacity
    activeSessions
    cause
  }
}
    `) as unknown as TypedDocumentString<AppNodeCapacitySubscription, AppNodeCapacitySubscriptionVariables>;
export const AppNodeEventsDocument = new TypedDocumentString(`
    subscription AppNodeEvents {
  events(names: [ReputationUpdated, NodeUpdated, NodeRegistered]) {
    name
  }
}
    `) as unknown as TypedDocumentString<AppNodeEventsSubscription, AppNodeEventsSubscriptionVariables>;
export const AppMySessionsDocument = new TypedDocumentString(`
    query AppMySessions($user: Pubkey!) {
  sessions(first: 20, filter: {user: $user}) {
    nodes {
      ...AppSessionFields
    }
  }
}
    fragment AppSessionFields on Session {
  pubkey
  state
  mode
  currency
  escrowAmount
  claimedAmount
  refundedAmount
  remainingBalance
  lastTick
  maxTicks
  tickAmount
  startTs
  endTs
  rated
  nodePubkey
  providerPubkey
  paymentMint
  node {
    endpoint
    region
  }
  provider {
    authority
  }
  claims(first: 1) {
    totalCount
  }
}`) as unknown as TypedDocumentString<AppMySessionsQuery, AppMySessionsQueryVariables>;
export const AppMySessionChangesDocument = new TypedDocumentString(`
    subscription AppMySessionChanges($user: Pubkey!) {
  sessionChanged(user: $user) {
    sessionPubkey
    state
    cause
  }
}
    `) as unknown as TypedDocumentString<AppMySessionChangesSubscription, AppMySessionChangesSubscriptionVariables>;
export const AppSessionDocument = new TypedDocumentString(`
    query AppSession($s: Pubkey!) {
  session(pubkey: $s) {
    ...AppSessionFields
  }
}
    fragment AppSessionFields on Session {
  pubkey
  state
  mode
  currency
  escrowAmount
  claimedAmount
  refundedAmount
  remainingBalance
  lastTick
  maxTicks
  tickAmount
  startTs
  endTs
  rated
  nodePubkey
  providerPubkey
  paymentMint
  node {
    endpoint
    region
  }
  provider {
    authority
  }
  claims(first: 1) {
    totalCount
  }
}`) as unknown as TypedDocumentString<AppSessionQuery, AppSessionQueryVariables>;
export const AppSessionLiveDocument = new TypedDocumentString(`
    subscription AppSessionLive($s: Pubkey!, $after: BigInt) {
  sessionChanged(session: $s, after: $after) {
    seq
    state
    cause
    claimedAmount
    refundedAmount
    remainingBalance
    lastTick
    timestamp
  }
}
    `) as unknown as TypedDocumentString<AppSessionLiveSubscription, AppSessionLiveSubscriptionVariables>;
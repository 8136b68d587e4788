-- CreateEnum
CREATE TYPE "SessionMode" AS ENUM ('TIME', 'USAGE');

-- CreateEnum
CREATE TYPE "SessionState" AS ENUM ('ACTIVE', 'CLOSING', 'CLOSED', 'DISPUTED', 'RESOLVED', 'SETTLED');

-- CreateEnum
CREATE TYPE "ClaimKind" AS ENUM ('CHUNK', 'CLOSE', 'PAYOUT', 'RESOLUTION');

-- CreateEnum
CREATE TYPE "StakeChangeKind" AS ENUM ('STAKE', 'REQUEST_UNSTAKE', 'WITHDRAW', 'SLASH');

-- CreateTable
CREATE TABLE "config" (
    "pubkey" TEXT NOT NULL,
    "admin" TEXT NOT NULL,
    "treasury" TEXT NOT NULL,
    "token_mint" TEXT NOT NULL,
    "protocol_fee_bps" INTEGER NOT NULL,
    "min_provider_stake" DECIMAL(20,0) NOT NULL,
    "unbonding_seconds" BIGINT NOT NULL,
    "settle_window_seconds" BIGINT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "last_slot" BIGINT NOT NULL,
    "last_signature" TEXT NOT NULL,

    CONSTRAINT "config_pkey" PRIMARY KEY ("pubkey")
);

-- CreateTable
CREATE TABLE "providers" (
    "pubkey" TEXT NOT NULL,
    "authority" TEXT NOT NULL,
    "stake_vault" TEXT NOT NULL,
    "node_count" BIGINT NOT NULL DEFAULT 0,
    "stake_lamports" DECIMAL(20,0) NOT NULL DEFAULT 0,
    "unstaking_lamports" DECIMAL(20,0) NOT NULL DEFAULT 0,
    "unstake_at" TIMESTAMPTZ(3),
    "slashed_lamports" DECIMAL(20,0) NOT NULL DEFAULT 0,
    "rating_sum" BIGINT NOT NULL DEFAULT 0,
    "rating_count" BIGINT NOT NULL DEFAULT 0,
    "reputation_score" INTEGER NOT NULL DEFAULT 1000,
    "total_uptime_seconds" BIGINT NOT NULL DEFAULT 0,
    "total_sessions" BIGINT NOT NULL DEFAULT 0,
    "total_earned_lamports" DECIMAL(20,0) NOT NULL DEFAULT 0,
    "total_earned_token" DECIMAL(20,0) NOT NULL DEFAULT 0,
    "registered_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "last_slot" BIGINT NOT NULL,
    "last_signature" TEXT NOT NULL,

    CONSTRAINT "providers_pkey" PRIMARY KEY ("pubkey")
);

-- CreateTable
CREATE TABLE "nodes" (
    "pubkey" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "node_id" DECIMAL(20,0) NOT NULL,
    "endpoint" TEXT NOT NULL,
    "region" TEXT NOT NULL,
    "price_per_minute" DECIMAL(20,0) NOT NULL,
    "price_per_minute_token" DECIMAL(20,0) NOT NULL,
    "wg_server_pubkey" TEXT NOT NULL,
    "max_capacity" BIGINT NOT NULL,
    "active_sessions" BIGINT NOT NULL DEFAULT 0,
    "free_capacity" BIGINT NOT NULL GENERATED ALWAYS AS ("max_capacity" - "active_sessions") STORED,
    "is_active" BOOLEAN NOT NULL DEFAULT true,
    "provider_reputation" INTEGER NOT NULL DEFAULT 1000,
    "total_uptime_seconds" BIGINT NOT NULL DEFAULT 0,
    "total_sessions" BIGINT NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "last_slot" BIGINT NOT NULL,
    "last_signature" TEXT NOT NULL,

    CONSTRAINT "nodes_pkey" PRIMARY KEY ("pubkey")
);

-- CreateTable
CREATE TABLE "sessions" (
    "pubkey" TEXT NOT NULL,
    "user" TEXT NOT NULL,
    "node" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "session_id" DECIMAL(20,0) NOT NULL,
    "mode" "SessionMode" NOT NULL,
    "state" "SessionState" NOT NULL,
    "payment_mint" TEXT NOT NULL,
    "escrow_amount" DECIMAL(20,0) NOT NULL,
    "remaining_balance" DECIMAL(20,0) NOT NULL,
    "claimed_amount" DECIMAL(20,0) NOT NULL DEFAULT 0,
    "fee_amount" DECIMAL(20,0) NOT NULL DEFAULT 0,
    "refunded_amount" DECIMAL(20,0) NOT NULL DEFAULT 0,
    "bytes_used" DECIMAL(20,0) NOT NULL DEFAULT 0,
    "last_tick" DECIMAL(20,0) NOT NULL DEFAULT 0,
    "tick_amount" DECIMAL(20,0) NOT NULL,
    "max_ticks" DECIMAL(20,0) NOT NULL,
    "hash_chain_root" TEXT NOT NULL,
    "start_ts" TIMESTAMPTZ(3) NOT NULL,
    "end_ts" TIMESTAMPTZ(3) NOT NULL,
    "closed_at" TIMESTAMPTZ(3),
    "settled_at" TIMESTAMPTZ(3),
    "capacity_released" BOOLEAN NOT NULL DEFAULT false,
    "rated" BOOLEAN NOT NULL DEFAULT false,
    "opened_signature" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "last_slot" BIGINT NOT NULL,
    "last_signature" TEXT NOT NULL,

    CONSTRAINT "sessions_pkey" PRIMARY KEY ("pubkey")
);

-- CreateTable
CREATE TABLE "claims" (
    "id" BIGSERIAL NOT NULL,
    "signature" TEXT NOT NULL,
    "slot" BIGINT NOT NULL,
    "ix_index" INTEGER NOT NULL,
    "event_index" INTEGER NOT NULL,
    "kind" "ClaimKind" NOT NULL,
    "session" TEXT NOT NULL,
    "node" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "user" TEXT,
    "payment_mint" TEXT NOT NULL,
    "tick" DECIMAL(20,0),
    "bytes_used" DECIMAL(20,0),
    "amount" DECIMAL(20,0) NOT NULL,
    "provider_amount" DECIMAL(20,0) NOT NULL,
    "fee" DECIMAL(20,0) NOT NULL,
    "refund" DECIMAL(20,0) NOT NULL DEFAULT 0,
    "timestamp" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "claims_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "disputes" (
    "session" TEXT NOT NULL,
    "node" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "raised_by" TEXT NOT NULL,
    "reason" INTEGER NOT NULL,
    "raised_at" TIMESTAMPTZ(3) NOT NULL,
    "raised_signature" TEXT NOT NULL,
    "resolved" BOOLEAN NOT NULL DEFAULT false,
    "resolver" TEXT,
    "provider_amount" DECIMAL(20,0),
    "fee" DECIMAL(20,0),
    "refund" DECIMAL(20,0),
    "slashed_lamports" DECIMAL(20,0),
    "resolved_at" TIMESTAMPTZ(3),
    "resolved_signature" TEXT,

    CONSTRAINT "disputes_pkey" PRIMARY KEY ("session")
);

-- CreateTable
CREATE TABLE "ratings" (
    "session" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "user" TEXT NOT NULL,
    "rating" INTEGER NOT NULL,
    "reputation_score" INTEGER NOT NULL,
    "rating_count" BIGINT NOT NULL,
    "timestamp" TIMESTAMPTZ(3) NOT NULL,
    "signature" TEXT NOT NULL,

    CONSTRAINT "ratings_pkey" PRIMARY KEY ("session")
);

-- CreateTable
CREATE TABLE "stake_changes" (
    "id" BIGSERIAL NOT NULL,
    "signature" TEXT NOT NULL,
    "slot" BIGINT NOT NULL,
    "ix_index" INTEGER NOT NULL,
    "event_index" INTEGER NOT NULL,
    "provider" TEXT NOT NULL,
    "kind" "StakeChangeKind" NOT NULL,
    "amount" DECIMAL(20,0) NOT NULL,
    "stake_lamports" DECIMAL(20,0) NOT NULL,
    "unstaking_lamports" DECIMAL(20,0) NOT NULL,
    "unstake_at" TIMESTAMPTZ(3),
    "session" TEXT,
    "timestamp" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "stake_changes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "events" (
    "id" BIGSERIAL NOT NULL,
    "signature" TEXT NOT NULL,
    "slot" BIGINT NOT NULL,
    "ix_index" INTEGER NOT NULL,
    "event_index" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "session" TEXT,
    "node" TEXT,
    "provider" TEXT,
    "user" TEXT,
    "timestamp" TIMESTAMPTZ(3) NOT NULL,
    "indexed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "checkpoints" (
    "id" TEXT NOT NULL,
    "slot" BIGINT NOT NULL,
    "signature" TEXT NOT NULL,
    "head_slot" BIGINT NOT NULL,
    "head_signature" TEXT NOT NULL,
    "events_applied" BIGINT NOT NULL DEFAULT 0,
    "transactions_applied" BIGINT NOT NULL DEFAULT 0,
    "reconciled_slot" BIGINT,
    "reconciled_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "checkpoints_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "repairs" (
    "id" BIGSERIAL NOT NULL,
    "account" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "field" TEXT NOT NULL,
    "before" TEXT,
    "after" TEXT,
    "slot" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "repairs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "providers_authority_key" ON "providers"("authority");

-- CreateIndex
CREATE INDEX "providers_reputation_score_idx" ON "providers"("reputation_score");

-- CreateIndex
CREATE INDEX "nodes_region_is_active_price_per_minute_idx" ON "nodes"("region", "is_active", "price_per_minute");

-- CreateIndex
CREATE INDEX "nodes_is_active_price_per_minute_idx" ON "nodes"("is_active", "price_per_minute");

-- CreateIndex
CREATE INDEX "nodes_is_active_price_per_minute_token_idx" ON "nodes"("is_active", "price_per_minute_token");

-- CreateIndex
CREATE INDEX "nodes_is_active_free_capacity_idx" ON "nodes"("is_active", "free_capacity");

-- CreateIndex
CREATE INDEX "nodes_is_active_provider_reputation_idx" ON "nodes"("is_active", "provider_reputation");

-- CreateIndex
CREATE INDEX "nodes_created_at_idx" ON "nodes"("created_at");

-- CreateIndex
CREATE UNIQUE INDEX "nodes_provider_node_id_key" ON "nodes"("provider", "node_id");

-- CreateIndex
CREATE INDEX "sessions_user_start_ts_idx" ON "sessions"("user", "start_ts");

-- CreateIndex
CREATE INDEX "sessions_node_start_ts_idx" ON "sessions"("node", "start_ts");

-- CreateIndex
CREATE INDEX "sessions_provider_start_ts_idx" ON "sessions"("provider", "start_ts");

-- CreateIndex
CREATE INDEX "sessions_state_start_ts_idx" ON "sessions"("state", "start_ts");

-- CreateIndex
CREATE INDEX "sessions_start_ts_idx" ON "sessions"("start_ts");

-- CreateIndex
CREATE INDEX "claims_session_timestamp_idx" ON "claims"("session", "timestamp");

-- CreateIndex
CREATE INDEX "claims_provider_timestamp_idx" ON "claims"("provider", "timestamp");

-- CreateIndex
CREATE INDEX "claims_node_timestamp_idx" ON "claims"("node", "timestamp");

-- CreateIndex
CREATE INDEX "claims_timestamp_idx" ON "claims"("timestamp");

-- CreateIndex
CREATE UNIQUE INDEX "claims_signature_ix_index_event_index_key" ON "claims"("signature", "ix_index", "event_index");

-- CreateIndex
CREATE INDEX "disputes_provider_raised_at_idx" ON "disputes"("provider", "raised_at");

-- CreateIndex
CREATE INDEX "disputes_resolved_raised_at_idx" ON "disputes"("resolved", "raised_at");

-- CreateIndex
CREATE INDEX "ratings_provider_timestamp_idx" ON "ratings"("provider", "timestamp");

-- CreateIndex
CREATE INDEX "stake_changes_provider_timestamp_idx" ON "stake_changes"("provider", "timestamp");

-- CreateIndex
CREATE UNIQUE INDEX "stake_changes_signature_ix_index_event_index_key" ON "stake_changes"("signature", "ix_index", "event_index");

-- CreateIndex
CREATE INDEX "events_name_id_idx" ON "events"("name", "id");

-- CreateIndex
CREATE INDEX "events_session_id_idx" ON "events"("session", "id");

-- CreateIndex
CREATE INDEX "events_node_id_idx" ON "events"("node", "id");

-- CreateIndex
CREATE INDEX "events_provider_id_idx" ON "events"("provider", "id");

-- CreateIndex
CREATE INDEX "events_user_id_idx" ON "events"("user", "id");

-- CreateIndex
CREATE INDEX "events_timestamp_idx" ON "events"("timestamp");

-- CreateIndex
CREATE UNIQUE INDEX "events_signature_ix_index_event_index_key" ON "events"("signature", "ix_index", "event_index");

-- CreateIndex
CREATE INDEX "repairs_account_idx" ON "repairs"("account");


-- Analyst views (documented in graph/README.md, section "SQL views").
-- Amounts are numeric sums of u64 base units (lamports for SOL sessions, token
-- base units otherwise) and payment_mint tells which. Days are UTC days of the
-- program's Clock timestamps. Region is the node's current region.
-- Note: no semicolons inside statements or comments here (the adapter's script
-- runner splits on them).

-- daily_volume: per UTC day, node region and payment mint, the sessions opened
-- and the escrow they locked, and the payments made out of escrow (claim_chunk,
-- close_session, claim_payout, resolve_dispute): gross = provider + fee.
CREATE VIEW "daily_volume" AS
WITH opened AS (
  SELECT (s."start_ts" AT TIME ZONE 'UTC')::date AS "day",
         n."region" AS "region",
         s."payment_mint" AS "payment_mint",
         count(*)::bigint AS "sessions_opened",
         sum(s."escrow_amount") AS "escrow_volume"
  FROM "sessions" s
  JOIN "nodes" n ON n."pubkey" = s."node"
  GROUP BY 1, 2, 3
), paid AS (
  SELECT (c."timestamp" AT TIME ZONE 'UTC')::date AS "day",
         n."region" AS "region",
         c."payment_mint" AS "payment_mint",
         (count(*) FILTER (WHERE c."amount" > 0))::bigint AS "payments",
         sum(c."amount") AS "paid_volume",
         sum(c."provider_amount") AS "provider_volume",
         sum(c."fee") AS "fee_volume",
         sum(c."refund") AS "refund_volume"
  FROM "claims" c
  JOIN "nodes" n ON n."pubkey" = c."node"
  GROUP BY 1, 2, 3
)
SELECT COALESCE(o."day", p."day") AS "day",
       COALESCE(o."region", p."region") AS "region",
       COALESCE(o."payment_mint", p."payment_mint") AS "payment_mint",
       COALESCE(o."sessions_opened", 0)::bigint AS "sessions_opened",
       COALESCE(o."escrow_volume", 0)::numeric AS "escrow_volume",
       COALESCE(p."payments", 0)::bigint AS "payments",
       COALESCE(p."paid_volume", 0)::numeric AS "paid_volume",
       COALESCE(p."provider_volume", 0)::numeric AS "provider_volume",
       COALESCE(p."fee_volume", 0)::numeric AS "fee_volume",
       COALESCE(p."refund_volume", 0)::numeric AS "refund_volume"
FROM opened o
FULL OUTER JOIN paid p
  ON o."day" = p."day" AND o."region" = p."region" AND o."payment_mint" = p."payment_mint";

-- provider_earnings: per provider and payment mint, what the provider earned
-- (net of the protocol fee), the fees, and how many sessions paid.
CREATE VIEW "provider_earnings" AS
SELECT p."pubkey" AS "provider",
       p."authority" AS "authority",
       c."payment_mint" AS "payment_mint",
       (count(*) FILTER (WHERE c."amount" > 0))::bigint AS "payments",
       count(DISTINCT c."session")::bigint AS "sessions",
       sum(c."amount")::numeric AS "gross_amount",
       sum(c."provider_amount")::numeric AS "earned_amount",
       sum(c."fee")::numeric AS "fee_amount",
       min(c."timestamp") AS "first_payment_at",
       max(c."timestamp") AS "last_payment_at"
FROM "providers" p
JOIN "claims" c ON c."provider" = p."pubkey"
GROUP BY p."pubkey", p."authority", c."payment_mint";

-- node_utilisation: capacity in use now (active_sessions / max_capacity as an
-- exact numeric ratio, null when max_capacity is 0), sessions not yet ended
-- in the sessions table, and the lifetime counters the program keeps.
CREATE VIEW "node_utilisation" AS
SELECT n."pubkey" AS "node",
       n."provider" AS "provider",
       n."region" AS "region",
       n."is_active" AS "is_active",
       n."max_capacity" AS "max_capacity",
       n."active_sessions" AS "active_sessions",
       n."free_capacity" AS "free_capacity",
       CASE WHEN n."max_capacity" > 0
            THEN round(n."active_sessions"::numeric / n."max_capacity"::numeric, 4)
       END AS "utilisation",
       COALESCE(live."open_sessions", 0)::bigint AS "open_sessions",
       n."total_sessions" AS "total_sessions",
       n."total_uptime_seconds" AS "total_uptime_seconds",
       COALESCE(paid."earned_lamports", 0)::numeric AS "earned_lamports",
       COALESCE(paid."earned_token", 0)::numeric AS "earned_token"
FROM "nodes" n
LEFT JOIN (
  SELECT s."node", count(*) AS "open_sessions"
  FROM "sessions" s
  WHERE s."state" IN ('ACTIVE', 'CLOSING', 'DISPUTED')
  GROUP BY s."node"
) live ON live."node" = n."pubkey"
LEFT JOIN (
  SELECT c."node",
         sum(c."provider_amount") FILTER (WHERE c."payment_mint" = '11111111111111111111111111111111') AS "earned_lamports",
         sum(c."provider_amount") FILTER (WHERE c."payment_mint" <> '11111111111111111111111111111111') AS "earned_token"
  FROM "claims" c
  GROUP BY c."node"
) paid ON paid."node" = n."pubkey";

-- Sessions still holding escrow, for the live-session filters.
CREATE INDEX "sessions_open_node_idx" ON "sessions" ("node") WHERE "state" IN ('ACTIVE', 'CLOSING', 'DISPUTED');

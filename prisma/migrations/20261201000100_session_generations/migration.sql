-- A session address can be opened again once its account is closed: each
-- opening is its own session, keyed by (address, generation). Generation 0 is
-- the first opening of an address, 1 the next one, and so on. Claims, disputes
-- and ratings name the opening they belong to.
-- Note: no semicolons inside statements or comments (the adapter splits on them).
ALTER TABLE "sessions" ADD COLUMN "generation" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "sessions" DROP CONSTRAINT "sessions_pkey";
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_pkey" PRIMARY KEY ("pubkey", "generation");

ALTER TABLE "claims" ADD COLUMN "session_generation" INTEGER NOT NULL DEFAULT 0;
DROP INDEX "claims_session_timestamp_idx";
CREATE INDEX "claims_session_session_generation_timestamp_idx" ON "claims"("session", "session_generation", "timestamp");

ALTER TABLE "disputes" ADD COLUMN "session_generation" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "disputes" DROP CONSTRAINT "disputes_pkey";
ALTER TABLE "disputes" ADD CONSTRAINT "disputes_pkey" PRIMARY KEY ("session", "session_generation");

ALTER TABLE "ratings" ADD COLUMN "session_generation" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "ratings" DROP CONSTRAINT "ratings_pkey";
ALTER TABLE "ratings" ADD CONSTRAINT "ratings_pkey" PRIMARY KEY ("session", "session_generation");

-- provider_earnings counts sessions as openings, not addresses.
CREATE OR REPLACE VIEW "provider_earnings" AS
SELECT p."pubkey" AS "provider",
       p."authority" AS "authority",
       c."payment_mint" AS "payment_mint",
       (count(*) FILTER (WHERE c."amount" > 0))::bigint AS "payments",
       count(DISTINCT (c."session", c."session_generation"))::bigint AS "sessions",
       sum(c."amount")::numeric AS "gross_amount",
       sum(c."provider_amount")::numeric AS "earned_amount",
       sum(c."fee")::numeric AS "fee_amount",
       min(c."timestamp") AS "first_payment_at",
       max(c."timestamp") AS "last_payment_at"
FROM "providers" p
JOIN "claims" c ON c."provider" = p."pubkey"
GROUP BY p."pubkey", p."authority", c."payment_mint";

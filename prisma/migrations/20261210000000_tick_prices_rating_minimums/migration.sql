-- Usage sessions are priced per hash-chain tick by the node (open_session's
-- tick_amount must equal it): NodeRegistered / NodeUpdated carry the prices.
-- Nodes indexed before this migration read 0 until their next event or a reconciliation.
-- Note: no semicolons inside statements or comments (the adapter splits on them).
ALTER TABLE "nodes" ADD COLUMN "price_per_tick" DECIMAL(20,0) NOT NULL DEFAULT 0;
ALTER TABLE "nodes" ADD COLUMN "price_per_tick_token" DECIMAL(20,0) NOT NULL DEFAULT 0;

-- A rating counts paid / min_rating (capped at 100) times in providers.rating_sum:
-- the indexer needs the config's minimums (ConfigUpdated carries them).
ALTER TABLE "config" ADD COLUMN "min_rating_lamports" DECIMAL(20,0) NOT NULL DEFAULT 0;
ALTER TABLE "config" ADD COLUMN "min_rating_token" DECIMAL(20,0) NOT NULL DEFAULT 0;

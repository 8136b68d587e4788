-- Change log: every committed change the indexer publishes (session, nodeCapacity, event),
-- numbered by a gap-free sequence in commit order. Subscribers resume after a seq, and
-- API replicas recover from here what the bus lost.
ALTER TABLE "checkpoints" ADD COLUMN "change_seq" BIGINT NOT NULL DEFAULT 0;

CREATE TABLE "changes" (
    "seq" BIGINT NOT NULL,
    "topic" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "changes_pkey" PRIMARY KEY ("seq")
);

CREATE INDEX "changes_topic_seq_idx" ON "changes"("topic", "seq");

-- Reconciliation skips accounts touched by events at or after its snapshot slot.
CREATE INDEX "events_slot_idx" ON "events"("slot");

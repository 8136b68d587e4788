-- `event` changes by reference: the change log row of an event points at its
-- events row instead of copying it (~900 bytes of jsonb per event, the largest
-- write of ingestion), and the change feed rebuilds the payload when it reads
-- the log back. Exactly one of payload and event_id is set.
-- (No semicolons in these comments: the migration runner splits on them.)
ALTER TABLE "changes" ADD COLUMN "event_id" BIGINT;
ALTER TABLE "changes" ALTER COLUMN "payload" DROP NOT NULL;
ALTER TABLE "changes" ADD CONSTRAINT "changes_payload_or_event" CHECK (("payload" IS NULL) <> ("event_id" IS NULL));

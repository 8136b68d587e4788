-- The change log is read by seq range only: the poll (seq > last), and replays
-- in bounded seq windows (feed.ts replayWindow, 10,000 seqs by default) where
-- the topic is a filter on at most that many rows. The (topic, seq) index only
-- narrowed such a window, and cost every change (~2.5 per program event) an
-- index entry and its WAL record at ingestion.
DROP INDEX "changes_topic_seq_idx";

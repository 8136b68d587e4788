-- events.data and changes.payload as json instead of jsonb: Postgres stores
-- json as written after checking its syntax, while jsonb input builds a tree,
-- copies and sorts every key and converts it (about 2.5x the backend CPU per
-- document, the largest part of ingestion's parsing). Nothing queries inside
-- events.data, and the change feed casts a payload to jsonb only to filter it.
ALTER TABLE "events" ALTER COLUMN "data" TYPE JSON USING "data"::json;
ALTER TABLE "changes" ALTER COLUMN "payload" TYPE JSON USING "payload"::json;

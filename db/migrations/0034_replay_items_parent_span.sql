-- the parent of the replay's span, read from the dead letter's traceparent when the item is made (the replay's spans
-- were made by reading every dead letter again); items not sent yet get theirs now
ALTER TABLE "replay_items" ADD COLUMN "parent_span_id" text;
--> statement-breakpoint
-- the header read once per row (offset 0 keeps the planner from copying the expression into each use), and only the
-- items that get a parent written; dead_letters is only read (capture goes on meanwhile)
UPDATE "replay_items" i SET "parent_span_id" = x."parent"
FROM (
  SELECT i2."id", CASE
      WHEN length(tp.v) = 55 AND substr(tp.v, 3, 1) = '-' AND substr(tp.v, 36, 1) = '-' AND substr(tp.v, 53, 1) = '-'
        AND tp.v ~ '^[0-9a-f]+-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+$' AND substr(tp.v, 4, 32) = i2."trace_id" AND substr(tp.v, 37, 16) !~ '^0+$'
      THEN substr(tp.v, 37, 16) END AS "parent"
  FROM "replay_items" i2
  JOIN "dead_letters" d ON d."id" = i2."dead_letter_id"
  CROSS JOIN LATERAL (SELECT btrim(coalesce(
      CASE WHEN jsonb_typeof(d."headers" -> 'traceparent') = 'string' THEN d."headers" ->> 'traceparent' END,
      CASE WHEN jsonb_typeof(d."headers") = 'object' THEN
        (SELECT h.value #>> '{}' FROM jsonb_each(d."headers") h WHERE lower(h.key) = 'traceparent' AND jsonb_typeof(h.value) = 'string' LIMIT 1) END), E' \t\n\r') AS v
    OFFSET 0) tp
  WHERE i2."status" IN ('pending', 'sending') AND i2."trace_id" IS NOT NULL AND i2."parent_span_id" IS NULL
) x
WHERE i."id" = x."id" AND x."parent" IS NOT NULL;
--> statement-breakpoint
-- Last, so that the exclusive locks dropping them takes on dead_letters and replays (as on replay_items) are held only
-- until the migration commits, not through the update above. Making a replay of 50,000 dead letters spent a third of
-- its time in these two foreign keys' checks (a query per item each): items are made only by the statement that reads
-- their dead letters and the replay they are in (db/mutations/create-replay.ts), and neither dead letters nor replays
-- are ever deleted.
ALTER TABLE "replay_items" DROP CONSTRAINT "replay_items_replay_id_replays_id_fk";
--> statement-breakpoint
ALTER TABLE "replay_items" DROP CONSTRAINT "replay_items_dead_letter_id_dead_letters_id_fk";

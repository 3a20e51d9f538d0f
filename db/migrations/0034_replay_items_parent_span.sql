-- Making a replay of 50,000 dead letters spent a third of its time in these two foreign keys' checks (a query per
-- item each): items are made only by the statement that reads their dead letters and the replay they are in
-- (db/mutations/create-replay.ts), and neither dead letters nor replays are ever deleted.
ALTER TABLE "replay_items" DROP CONSTRAINT "replay_items_replay_id_replays_id_fk";
--> statement-breakpoint
ALTER TABLE "replay_items" DROP CONSTRAINT "replay_items_dead_letter_id_dead_letters_id_fk";
--> statement-breakpoint
-- the parent of the replay's span, read from the dead letter's traceparent when the item is made (the replay's spans
-- were made by reading every dead letter again); items not sent yet get theirs now
ALTER TABLE "replay_items" ADD COLUMN "parent_span_id" text;
--> statement-breakpoint
UPDATE "replay_items" i SET "parent_span_id" = CASE
    WHEN length(tp.v) = 55 AND substr(tp.v, 3, 1) = '-' AND substr(tp.v, 36, 1) = '-' AND substr(tp.v, 53, 1) = '-'
      AND tp.v ~ '^[0-9a-f]+-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+$' AND substr(tp.v, 4, 32) = i."trace_id" AND substr(tp.v, 37, 16) !~ '^0+$'
    THEN substr(tp.v, 37, 16) END
FROM "dead_letters" d
CROSS JOIN LATERAL (SELECT btrim(coalesce(
    CASE WHEN jsonb_typeof(d."headers" -> 'traceparent') = 'string' THEN d."headers" ->> 'traceparent' END,
    CASE WHEN jsonb_typeof(d."headers") = 'object' THEN
      (SELECT h.value #>> '{}' FROM jsonb_each(d."headers") h WHERE lower(h.key) = 'traceparent' AND jsonb_typeof(h.value) = 'string' LIMIT 1) END), E' \t\n\r') AS v) tp
WHERE d."id" = i."dead_letter_id" AND i."status" IN ('pending', 'sending') AND i."trace_id" IS NOT NULL;

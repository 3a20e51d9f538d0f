CREATE TABLE "replay_batches" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"replay_id" bigint NOT NULL,
	"item_ids" bigint[] NOT NULL,
	"kafka_targets" jsonb,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
DROP INDEX "replay_items_span";--> statement-breakpoint
ALTER TABLE "replay_batches" ADD CONSTRAINT "replay_batches_replay_id_replays_id_fk" FOREIGN KEY ("replay_id") REFERENCES "public"."replays"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "replay_batches_replay" ON "replay_batches" USING btree ("replay_id");--> statement-breakpoint
-- items are now given their span when they are made (the claim no longer writes them): the pending ones made before
UPDATE "replay_items" i SET
  "trace_id" = coalesce(i."trace_id", CASE WHEN d."trace_id" ~ '^[0-9a-f]{32}$' AND d."trace_id" !~ '^0+$' THEN d."trace_id" ELSE md5(random()::text || clock_timestamp()::text || i."id") END),
  "span_id" = left(md5(random()::text || clock_timestamp()::text || i."id" || 's'), 16)
FROM "dead_letters" d WHERE d."id" = i."dead_letter_id" AND i."status" = 'pending' AND i."span_id" IS NULL;

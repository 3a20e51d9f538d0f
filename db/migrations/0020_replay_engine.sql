ALTER TABLE "dead_letters" DROP CONSTRAINT "dead_letters_status_check";--> statement-breakpoint
ALTER TABLE "dead_letters" ADD COLUMN "replay_id" bigint;--> statement-breakpoint
ALTER TABLE "replay_items" ADD COLUMN "prior_status" text;--> statement-breakpoint
ALTER TABLE "replay_items" ADD COLUMN "trace_id" text;--> statement-breakpoint
ALTER TABLE "replay_items" ADD COLUMN "span_id" text;--> statement-breakpoint
ALTER TABLE "replay_items" ADD COLUMN "kafka_partition" integer;--> statement-breakpoint
ALTER TABLE "replay_items" ADD COLUMN "offset_before" bigint;--> statement-breakpoint
ALTER TABLE "replay_items" ADD COLUMN "kafka_offset" bigint;--> statement-breakpoint
ALTER TABLE "replay_items" ADD COLUMN "resent" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "replay_items" ADD COLUMN "edited_payload" "bytea";--> statement-breakpoint
ALTER TABLE "replay_items" ADD COLUMN "edited_headers" jsonb;--> statement-breakpoint
ALTER TABLE "replays" ADD COLUMN "heartbeat_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "dead_letters_replay" ON "dead_letters" USING btree ("replay_id") WHERE "dead_letters"."replay_id" is not null;--> statement-breakpoint
CREATE INDEX "replay_items_span" ON "replay_items" USING btree ("span_id") WHERE "replay_items"."span_id" is not null;--> statement-breakpoint
ALTER TABLE "dead_letters" ADD CONSTRAINT "dead_letters_status_check" CHECK ("dead_letters"."status" in ('new', 'replaying', 'replayed', 'failed_again', 'discarded'));
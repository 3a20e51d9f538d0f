ALTER TABLE "replay_items" DROP CONSTRAINT "replay_items_skip_reason_check";--> statement-breakpoint
ALTER TABLE "dead_letters" ADD COLUMN "returned_as" bigint;--> statement-breakpoint
ALTER TABLE "replay_items" ADD COLUMN "returned_as" bigint;--> statement-breakpoint
CREATE INDEX "dead_letters_returned" ON "dead_letters" USING btree ("captured_at") WHERE "dead_letters"."replay_id" is not null;--> statement-breakpoint
CREATE INDEX "replay_items_pending" ON "replay_items" USING btree ("replay_id","id") WHERE "replay_items"."status" = 'pending';--> statement-breakpoint
ALTER TABLE "replay_items" ADD CONSTRAINT "replay_items_skip_reason_check" CHECK ("replay_items"."skip_reason" is null or "replay_items"."skip_reason" in ('discarded', 'already_replayed', 'in_another_replay', 'over_loop_limit', 'payload_truncated', 'no_destination', 'came_back'));
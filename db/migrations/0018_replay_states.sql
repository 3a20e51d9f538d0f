ALTER TABLE "replay_items" DROP CONSTRAINT "replay_items_status_check";--> statement-breakpoint
ALTER TABLE "replays" DROP CONSTRAINT "replays_status_check";--> statement-breakpoint
ALTER TABLE "replay_items" ADD CONSTRAINT "replay_items_status_check" CHECK ("replay_items"."status" in ('pending', 'sending', 'confirmed', 'processed', 'failed_again', 'skipped', 'cancelled', 'uncertain'));--> statement-breakpoint
ALTER TABLE "replays" ADD CONSTRAINT "replays_status_check" CHECK ("replays"."status" in ('pending', 'running', 'paused', 'done', 'cancelled', 'failed'));
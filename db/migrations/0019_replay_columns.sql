ALTER TABLE "replay_items" ADD COLUMN "skip_reason" text;--> statement-breakpoint
ALTER TABLE "replay_items" ADD COLUMN "destination" text;--> statement-breakpoint
ALTER TABLE "replay_items" ADD COLUMN "confirmed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "replay_items" ADD COLUMN "settled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "replays" ADD COLUMN "force" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "replays" ADD COLUMN "rate_per_second" integer DEFAULT 50 NOT NULL;--> statement-breakpoint
ALTER TABLE "replays" ADD COLUMN "plan" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "replays" ADD COLUMN "skipped" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "replays" ADD COLUMN "started_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "replays" ADD COLUMN "error" text;--> statement-breakpoint
ALTER TABLE "replay_items" ADD CONSTRAINT "replay_items_skip_reason_check" CHECK ("replay_items"."skip_reason" is null or "replay_items"."skip_reason" in ('discarded', 'already_replayed', 'in_another_replay', 'over_loop_limit', 'payload_truncated', 'no_destination'));
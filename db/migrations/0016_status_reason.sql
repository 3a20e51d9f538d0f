ALTER TABLE "dead_letters" ADD COLUMN "status_reason" text;--> statement-breakpoint
ALTER TABLE "dead_letters" ADD COLUMN "status_changed_by" text;--> statement-breakpoint
ALTER TABLE "dead_letters" ADD COLUMN "status_changed_at" timestamp with time zone;
DROP INDEX "dead_letters_dedup";--> statement-breakpoint
ALTER TABLE "dead_letters" ADD COLUMN "capture_error" text;--> statement-breakpoint
ALTER TABLE "dead_letters" ADD COLUMN "capture_pending" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "dead_letters_pending" ON "dead_letters" USING btree ("system","source_name","vhost","source") WHERE "dead_letters"."capture_pending";--> statement-breakpoint
ALTER TABLE "dead_letters" ADD CONSTRAINT "dead_letters_dedup" UNIQUE NULLS NOT DISTINCT("system","source_name","vhost","source","dedup_key");
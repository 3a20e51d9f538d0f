ALTER TABLE "dead_letters" ADD COLUMN "failure_group" text;--> statement-breakpoint
ALTER TABLE "dead_letters" ADD COLUMN "failure_type" text;--> statement-breakpoint
ALTER TABLE "dead_letters" ADD COLUMN "failure_message" text;--> statement-breakpoint
CREATE INDEX "dead_letters_failure_group" ON "dead_letters" USING btree ("failure_group","status");
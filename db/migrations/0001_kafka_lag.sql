ALTER TABLE "kafka_lag_samples" ALTER COLUMN "end_offset" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "kafka_group_status" ADD COLUMN "member_details" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "kafka_group_status" ADD COLUMN "error" text;--> statement-breakpoint
ALTER TABLE "kafka_lag_samples" ADD COLUMN "status" text;
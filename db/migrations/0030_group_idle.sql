ALTER TABLE "kafka_group_status" ADD COLUMN "uncommitted_backlog" bigint;--> statement-breakpoint
ALTER TABLE "kafka_group_status" ADD COLUMN "empty_since" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "kafka_lag_samples" ADD COLUMN "log_start_offset" bigint;
ALTER TABLE "rabbitmq_queues" ADD COLUMN "dead_letter_targets" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "rabbitmq_queues" ADD COLUMN "dlx_missing" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "rabbitmq_queues" ADD COLUMN "capture_mode" text;
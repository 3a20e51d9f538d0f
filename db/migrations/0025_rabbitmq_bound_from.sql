ALTER TABLE "flow_edge_minutes" DROP CONSTRAINT "flow_edge_minutes_edge_check";--> statement-breakpoint
ALTER TABLE "rabbitmq_queues" ADD COLUMN "bound_from" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "flow_edge_minutes" ADD CONSTRAINT "flow_edge_minutes_edge_check" CHECK ("flow_edge_minutes"."edge" in ('call', 'publish', 'route', 'consume', 'dead_letter'));
CREATE TABLE "flow_edge_minutes" (
	"minute" timestamp with time zone NOT NULL,
	"source" text NOT NULL,
	"source_kind" text NOT NULL,
	"target" text NOT NULL,
	"target_kind" text NOT NULL,
	"edge" text NOT NULL,
	"system" text NOT NULL,
	"group_name" text DEFAULT '' NOT NULL,
	"method" text DEFAULT '' NOT NULL,
	"count" bigint NOT NULL,
	"errors" bigint NOT NULL,
	"duration_sum_ms" double precision NOT NULL,
	"max_ms" double precision NOT NULL,
	"buckets" integer[] NOT NULL,
	CONSTRAINT "flow_edge_minutes_pk" PRIMARY KEY("minute","source","source_kind","target","target_kind","edge","system","group_name","method"),
	CONSTRAINT "flow_edge_minutes_edge_check" CHECK ("flow_edge_minutes"."edge" in ('call', 'publish', 'consume', 'dead_letter')),
	CONSTRAINT "flow_edge_minutes_source_kind_check" CHECK ("flow_edge_minutes"."source_kind" in ('service', 'topic', 'exchange', 'queue', 'dlq', 'dlt')),
	CONSTRAINT "flow_edge_minutes_target_kind_check" CHECK ("flow_edge_minutes"."target_kind" in ('service', 'topic', 'exchange', 'queue', 'dlq', 'dlt'))
);
--> statement-breakpoint
CREATE INDEX "flow_edge_minutes_source" ON "flow_edge_minutes" USING btree ("source","minute");--> statement-breakpoint
CREATE INDEX "flow_edge_minutes_target" ON "flow_edge_minutes" USING btree ("target","minute");
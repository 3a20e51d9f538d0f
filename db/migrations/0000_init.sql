CREATE TABLE "kafka_group_status" (
	"cluster" text NOT NULL,
	"group_id" text NOT NULL,
	"state" text NOT NULL,
	"status" text NOT NULL,
	"total_lag" bigint,
	"max_lag_seconds" double precision,
	"eta_seconds" double precision,
	"consume_rate" double precision,
	"produce_rate" double precision,
	"members" integer DEFAULT 0 NOT NULL,
	"evaluated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "kafka_group_status_cluster_group_id_pk" PRIMARY KEY("cluster","group_id")
);
--> statement-breakpoint
CREATE TABLE "kafka_group_status_history" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"cluster" text NOT NULL,
	"group_id" text NOT NULL,
	"status" text NOT NULL,
	"reason" text,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "kafka_lag_rollups" (
	"cluster" text NOT NULL,
	"group_id" text NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"total_lag" bigint NOT NULL,
	"max_lag_seconds" double precision,
	"samples" integer NOT NULL,
	CONSTRAINT "kafka_lag_rollups_cluster_group_id_bucket_pk" PRIMARY KEY("cluster","group_id","bucket")
);
--> statement-breakpoint
CREATE TABLE "kafka_lag_samples" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"cluster" text NOT NULL,
	"group_id" text NOT NULL,
	"topic" text NOT NULL,
	"partition" integer NOT NULL,
	"committed_offset" bigint,
	"end_offset" bigint NOT NULL,
	"lag" bigint,
	"lag_seconds" double precision,
	"lag_method" text NOT NULL,
	"sampled_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rabbitmq_queue_rollups" (
	"broker" text NOT NULL,
	"vhost" text NOT NULL,
	"queue" text NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"max_ready" bigint NOT NULL,
	"max_unacked" bigint NOT NULL,
	"avg_publish_rate" double precision,
	"avg_deliver_rate" double precision,
	"samples" integer NOT NULL,
	CONSTRAINT "rabbitmq_queue_rollups_broker_vhost_queue_bucket_pk" PRIMARY KEY("broker","vhost","queue","bucket")
);
--> statement-breakpoint
CREATE TABLE "rabbitmq_queue_samples" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"broker" text NOT NULL,
	"vhost" text NOT NULL,
	"queue" text NOT NULL,
	"ready" bigint NOT NULL,
	"unacked" bigint NOT NULL,
	"consumers" integer NOT NULL,
	"consumer_capacity" double precision,
	"publish_rate" double precision,
	"deliver_rate" double precision,
	"ack_rate" double precision,
	"redeliver_rate" double precision,
	"head_message_age_seconds" double precision,
	"sampled_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rabbitmq_queues" (
	"broker" text NOT NULL,
	"vhost" text NOT NULL,
	"name" text NOT NULL,
	"type" text NOT NULL,
	"state" text,
	"arguments" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"policy" text,
	"dead_letter_exchange" text,
	"dead_letter_routing_key" text,
	"is_dead_letter_queue" boolean DEFAULT false NOT NULL,
	"dead_letter_sources" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "rabbitmq_queues_broker_vhost_name_pk" PRIMARY KEY("broker","vhost","name")
);
--> statement-breakpoint
CREATE TABLE "dead_letters" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"system" text NOT NULL,
	"source_name" text NOT NULL,
	"vhost" text,
	"source" text NOT NULL,
	"dedup_key" text NOT NULL,
	"message_key" "bytea",
	"payload" "bytea" NOT NULL,
	"payload_size" integer NOT NULL,
	"payload_truncated" boolean DEFAULT false NOT NULL,
	"headers" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"properties" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"kafka_partition" integer,
	"kafka_offset" bigint,
	"reason" text,
	"error_type" text,
	"error_message" text,
	"original_destination" text,
	"original_exchange" text,
	"original_routing_key" text,
	"death_count" integer DEFAULT 1 NOT NULL,
	"first_dead_at" timestamp with time zone,
	"last_dead_at" timestamp with time zone,
	"trace_id" text,
	"status" text DEFAULT 'new' NOT NULL,
	"captured_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "replay_items" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"replay_id" bigint NOT NULL,
	"dead_letter_id" bigint NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"error" text,
	"sent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "replays" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"requested_by" text NOT NULL,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"dry_run" boolean DEFAULT false NOT NULL,
	"filter" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"target" jsonb,
	"total" integer DEFAULT 0 NOT NULL,
	"succeeded" integer DEFAULT 0 NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "span_links" (
	"trace_id" text NOT NULL,
	"span_id" text NOT NULL,
	"linked_trace_id" text NOT NULL,
	"linked_span_id" text NOT NULL,
	"start_time" timestamp with time zone NOT NULL,
	CONSTRAINT "span_links_trace_id_span_id_linked_trace_id_linked_span_id_pk" PRIMARY KEY("trace_id","span_id","linked_trace_id","linked_span_id")
);
--> statement-breakpoint
CREATE TABLE "spans" (
	"trace_id" text NOT NULL,
	"span_id" text NOT NULL,
	"parent_span_id" text,
	"service" text NOT NULL,
	"name" text NOT NULL,
	"kind" smallint NOT NULL,
	"start_time" timestamp with time zone NOT NULL,
	"start_unix_nano" bigint NOT NULL,
	"duration_ms" double precision NOT NULL,
	"status_code" smallint DEFAULT 0 NOT NULL,
	"status_message" text,
	"attributes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"resource_attributes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"events" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"links" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"messaging_system" text,
	"messaging_destination" text,
	"messaging_operation" text,
	"messaging_consumer_group" text,
	"messaging_message_id" text,
	"kafka_partition" integer,
	"kafka_offset" bigint,
	"rabbitmq_routing_key" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "spans_trace_id_span_id_pk" PRIMARY KEY("trace_id","span_id")
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"role" text NOT NULL,
	"action" text NOT NULL,
	"target_type" text NOT NULL,
	"target_id" text,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"outcome" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workflows" (
	"type" text NOT NULL,
	"key" text NOT NULL,
	"state" text NOT NULL,
	"last_step" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"trace_id" text,
	"started_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "workflows_type_key_pk" PRIMARY KEY("type","key")
);
--> statement-breakpoint
CREATE TABLE "source_health" (
	"system" text NOT NULL,
	"name" text NOT NULL,
	"healthy" boolean NOT NULL,
	"error" text,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"checked_at" timestamp with time zone NOT NULL,
	CONSTRAINT "source_health_system_name_pk" PRIMARY KEY("system","name")
);
--> statement-breakpoint
ALTER TABLE "replay_items" ADD CONSTRAINT "replay_items_replay_id_replays_id_fk" FOREIGN KEY ("replay_id") REFERENCES "public"."replays"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "replay_items" ADD CONSTRAINT "replay_items_dead_letter_id_dead_letters_id_fk" FOREIGN KEY ("dead_letter_id") REFERENCES "public"."dead_letters"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "kafka_group_status_status" ON "kafka_group_status" USING btree ("status");--> statement-breakpoint
CREATE INDEX "kafka_group_status_history_group" ON "kafka_group_status_history" USING btree ("cluster","group_id","at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "kafka_lag_rollups_time_brin" ON "kafka_lag_rollups" USING brin ("bucket");--> statement-breakpoint
CREATE INDEX "kafka_lag_samples_group_time" ON "kafka_lag_samples" USING btree ("cluster","group_id","sampled_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "kafka_lag_samples_time_brin" ON "kafka_lag_samples" USING brin ("sampled_at");--> statement-breakpoint
CREATE INDEX "rabbitmq_queue_rollups_time_brin" ON "rabbitmq_queue_rollups" USING brin ("bucket");--> statement-breakpoint
CREATE INDEX "rabbitmq_queue_samples_queue_time" ON "rabbitmq_queue_samples" USING btree ("broker","vhost","queue","sampled_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "rabbitmq_queue_samples_time_brin" ON "rabbitmq_queue_samples" USING brin ("sampled_at");--> statement-breakpoint
CREATE INDEX "rabbitmq_queues_dlq" ON "rabbitmq_queues" USING btree ("is_dead_letter_queue");--> statement-breakpoint
CREATE UNIQUE INDEX "dead_letters_dedup" ON "dead_letters" USING btree ("system","source_name","source","dedup_key");--> statement-breakpoint
CREATE INDEX "dead_letters_list" ON "dead_letters" USING btree ("status","captured_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "dead_letters_source" ON "dead_letters" USING btree ("system","source","captured_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "dead_letters_reason" ON "dead_letters" USING btree ("reason");--> statement-breakpoint
CREATE INDEX "dead_letters_trace" ON "dead_letters" USING btree ("trace_id") WHERE "dead_letters"."trace_id" is not null;--> statement-breakpoint
CREATE INDEX "replay_items_replay" ON "replay_items" USING btree ("replay_id","status");--> statement-breakpoint
CREATE INDEX "replay_items_dead_letter" ON "replay_items" USING btree ("dead_letter_id");--> statement-breakpoint
CREATE INDEX "replays_time" ON "replays" USING btree ("requested_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "span_links_linked" ON "span_links" USING btree ("linked_trace_id");--> statement-breakpoint
CREATE INDEX "spans_service_time" ON "spans" USING btree ("service","start_time" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "spans_time_brin" ON "spans" USING brin ("start_time");--> statement-breakpoint
CREATE INDEX "spans_destination" ON "spans" USING btree ("messaging_destination") WHERE "spans"."messaging_destination" is not null;--> statement-breakpoint
CREATE INDEX "spans_message_id" ON "spans" USING btree ("messaging_message_id") WHERE "spans"."messaging_message_id" is not null;--> statement-breakpoint
CREATE INDEX "audit_log_time" ON "audit_log" USING btree ("at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "audit_log_target" ON "audit_log" USING btree ("target_type","target_id");--> statement-breakpoint
CREATE INDEX "workflows_state" ON "workflows" USING btree ("state","updated_at" DESC NULLS LAST);
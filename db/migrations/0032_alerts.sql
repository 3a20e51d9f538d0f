CREATE TABLE "alert_deliveries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"event_id" bigint NOT NULL,
	"target" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "alert_deliveries_target_check" CHECK ("alert_deliveries"."target" in ('alertmanager', 'slack', 'webhook'))
);
--> statement-breakpoint
CREATE TABLE "alert_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"rule_id" bigint,
	"rule_name" text NOT NULL,
	"kind" text NOT NULL,
	"severity" text NOT NULL,
	"key" text NOT NULL,
	"event" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"value" double precision,
	"labels" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"summary" text NOT NULL,
	"path" text NOT NULL,
	CONSTRAINT "alert_events_event_check" CHECK ("alert_events"."event" in ('fired', 'resolved'))
);
--> statement-breakpoint
CREATE TABLE "alert_rules" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"scope" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"threshold" double precision,
	"for_minutes" double precision,
	"window_minutes" double precision,
	"status" text,
	"severity" text NOT NULL,
	"labels" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"origin" text NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "alert_rules_kind_check" CHECK ("alert_rules"."kind" in ('lag_status', 'lag_seconds', 'dead_letters_growth', 'workflows_stuck', 'source_unhealthy', 'otlp_refusals')),
	CONSTRAINT "alert_rules_severity_check" CHECK ("alert_rules"."severity" in ('critical', 'warning', 'info')),
	CONSTRAINT "alert_rules_status_check" CHECK ("alert_rules"."status" in ('WARN', 'STALL', 'STOP')),
	CONSTRAINT "alert_rules_origin_check" CHECK ("alert_rules"."origin" in ('file', 'api'))
);
--> statement-breakpoint
CREATE TABLE "alert_states" (
	"rule_id" bigint NOT NULL,
	"key" text NOT NULL,
	"state" text NOT NULL,
	"active_since" timestamp with time zone,
	"fired_at" timestamp with time zone,
	"resolved_at" timestamp with time zone,
	"value" double precision,
	"labels" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"summary" text DEFAULT '' NOT NULL,
	"path" text DEFAULT '/' NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "alert_states_rule_id_key_pk" PRIMARY KEY("rule_id","key"),
	CONSTRAINT "alert_states_state_check" CHECK ("alert_states"."state" in ('pending', 'firing', 'resolved'))
);
--> statement-breakpoint
ALTER TABLE "alert_deliveries" ADD CONSTRAINT "alert_deliveries_event_id_alert_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."alert_events"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alert_states" ADD CONSTRAINT "alert_states_rule_id_alert_rules_id_fk" FOREIGN KEY ("rule_id") REFERENCES "public"."alert_rules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "alert_deliveries_due" ON "alert_deliveries" USING btree ("next_at") WHERE "alert_deliveries"."delivered_at" is null;--> statement-breakpoint
CREATE INDEX "alert_events_at" ON "alert_events" USING btree ("at" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "alert_rules_name" ON "alert_rules" USING btree ("name");--> statement-breakpoint
CREATE INDEX "alert_states_firing" ON "alert_states" USING btree ("state");
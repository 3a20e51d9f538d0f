CREATE TABLE "workflows" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"key_name" text NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"state" text DEFAULT 'running' NOT NULL,
	"stuck" boolean DEFAULT false NOT NULL,
	"trace_ids" text[] DEFAULT '{}'::text[] NOT NULL,
	"dead_letter_ids" bigint[] DEFAULT '{}'::bigint[] NOT NULL,
	"waiting_on" jsonb,
	"evidence" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"last_activity_at" timestamp with time zone NOT NULL,
	"touched_at" timestamp with time zone DEFAULT now() NOT NULL,
	"evaluated_at" timestamp with time zone,
	"dirty" boolean DEFAULT true NOT NULL,
	CONSTRAINT "workflows_state_check" CHECK ("workflows"."state" in ('dead_lettered', 'failed', 'compensated', 'retrying', 'pending', 'running', 'completed'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "workflows_key" ON "workflows" USING btree ("key");--> statement-breakpoint
CREATE INDEX "workflows_state" ON "workflows" USING btree ("state","last_activity_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "workflows_activity" ON "workflows" USING btree ("last_activity_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "workflows_name" ON "workflows" USING btree ("name","last_activity_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "workflows_traces" ON "workflows" USING gin ("trace_ids");--> statement-breakpoint
CREATE INDEX "workflows_dirty" ON "workflows" USING btree ("touched_at") WHERE "workflows"."dirty";
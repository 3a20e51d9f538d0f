CREATE TABLE "workflow_traces" (
	"trace_id" text NOT NULL,
	"workflow_id" bigint NOT NULL,
	CONSTRAINT "workflow_traces_trace_id_workflow_id_pk" PRIMARY KEY("trace_id","workflow_id")
);
--> statement-breakpoint
DROP INDEX "workflows_traces";--> statement-breakpoint
ALTER TABLE "workflow_traces" ADD CONSTRAINT "workflow_traces_workflow_id_workflows_id_fk" FOREIGN KEY ("workflow_id") REFERENCES "public"."workflows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "workflow_traces_workflow" ON "workflow_traces" USING btree ("workflow_id");--> statement-breakpoint
-- the traces the workflows already hold
INSERT INTO "workflow_traces" ("trace_id", "workflow_id") SELECT DISTINCT unnest("trace_ids"), "id" FROM "workflows" ON CONFLICT DO NOTHING;

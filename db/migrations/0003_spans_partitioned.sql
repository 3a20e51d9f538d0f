-- Spans and span links become tables partitioned by day on start_time, so retention drops whole partitions instead
-- of deleting rows. Existing rows move to the default partition; the collectors' partition maintenance
-- (db/queries/span-partitions.ts) makes daily partitions (moving rows out of the default one) and drops old ones.
-- A partitioned table's primary key must include the partition key: (trace_id, span_id, start_time).
ALTER TABLE "spans" RENAME TO "spans_unpartitioned";--> statement-breakpoint
CREATE TABLE "spans" (LIKE "spans_unpartitioned" INCLUDING DEFAULTS) PARTITION BY RANGE ("start_time");--> statement-breakpoint
CREATE TABLE "spans_default" PARTITION OF "spans" DEFAULT;--> statement-breakpoint
INSERT INTO "spans" SELECT * FROM "spans_unpartitioned";--> statement-breakpoint
DROP TABLE "spans_unpartitioned";--> statement-breakpoint
ALTER TABLE "spans" ADD CONSTRAINT "spans_trace_id_span_id_start_time_pk" PRIMARY KEY("trace_id","span_id","start_time");--> statement-breakpoint
CREATE INDEX "spans_trace" ON "spans" USING btree ("trace_id");--> statement-breakpoint
CREATE INDEX "spans_service_time" ON "spans" USING btree ("service","start_time" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "spans_time_brin" ON "spans" USING brin ("start_time");--> statement-breakpoint
CREATE INDEX "spans_destination" ON "spans" USING btree ("messaging_destination") WHERE "messaging_destination" is not null;--> statement-breakpoint
CREATE INDEX "spans_message_id" ON "spans" USING btree ("messaging_message_id") WHERE "messaging_message_id" is not null;--> statement-breakpoint
ALTER TABLE "span_links" RENAME TO "span_links_unpartitioned";--> statement-breakpoint
CREATE TABLE "span_links" (LIKE "span_links_unpartitioned" INCLUDING DEFAULTS) PARTITION BY RANGE ("start_time");--> statement-breakpoint
CREATE TABLE "span_links_default" PARTITION OF "span_links" DEFAULT;--> statement-breakpoint
INSERT INTO "span_links" SELECT * FROM "span_links_unpartitioned";--> statement-breakpoint
DROP TABLE "span_links_unpartitioned";--> statement-breakpoint
ALTER TABLE "span_links" ADD CONSTRAINT "span_links_trace_id_span_id_linked_trace_id_linked_span_id_start_time_pk" PRIMARY KEY("trace_id","span_id","linked_trace_id","linked_span_id","start_time");--> statement-breakpoint
CREATE INDEX "span_links_linked" ON "span_links" USING btree ("linked_trace_id");--> statement-breakpoint
CREATE INDEX "span_links_trace" ON "span_links" USING btree ("trace_id");

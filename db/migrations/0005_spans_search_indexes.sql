-- Trace search reads matching spans newest first and stops when a page is full: that needs ordered indexes on start time
-- (all spans, and spans in error), which a BRIN cannot give.
DROP INDEX "spans_time_brin";--> statement-breakpoint
CREATE INDEX "spans_time" ON "spans" USING btree ("start_time");--> statement-breakpoint
CREATE INDEX "spans_error_time" ON "spans" USING btree ("start_time") WHERE "spans"."status_code" = 2;
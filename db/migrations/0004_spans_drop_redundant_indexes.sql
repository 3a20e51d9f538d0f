-- Lookups by trace use the primary keys, which lead with trace_id; these indexes only cost every write.
DROP INDEX "span_links_trace";--> statement-breakpoint
DROP INDEX "spans_trace";
-- Resources are stored once in span_resources and spans refer to them (see db/schema/spans.ts). Spans already stored
-- keep their resource: each distinct resource_attributes becomes a row, keyed by the md5 of its JSONB text (new
-- resources are keyed by the collectors' hash of the attributes as received; a resource under two keys is harmless).
CREATE TABLE "span_resources" (
	"id" text PRIMARY KEY NOT NULL,
	"attributes" jsonb NOT NULL,
	"first_seen" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "spans" ADD COLUMN "resource_id" text;--> statement-breakpoint
INSERT INTO "span_resources" ("id", "attributes") SELECT md5("resource_attributes"::text), "resource_attributes" FROM "spans" GROUP BY "resource_attributes" ON CONFLICT DO NOTHING;--> statement-breakpoint
UPDATE "spans" SET "resource_id" = md5("resource_attributes"::text);

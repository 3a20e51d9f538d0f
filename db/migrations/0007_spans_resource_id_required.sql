ALTER TABLE "spans" ALTER COLUMN "resource_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "spans" DROP COLUMN "resource_attributes";
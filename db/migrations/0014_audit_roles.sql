ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_role_check" CHECK ("audit_log"."role" in ('viewer', 'operator', 'admin', 'none'));--> statement-breakpoint
-- TRUNCATE bypasses row triggers: refuse it too (retention, when it comes, will drop partitions)
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON "audit_log" FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

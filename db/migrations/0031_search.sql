CREATE TABLE "dead_letter_keys" (
	"value" text NOT NULL,
	"dead_letter_id" bigint NOT NULL,
	CONSTRAINT "dead_letter_keys_value_dead_letter_id_pk" PRIMARY KEY("value","dead_letter_id")
);
--> statement-breakpoint
ALTER TABLE "dead_letter_keys" ADD CONSTRAINT "dead_letter_keys_dead_letter_id_dead_letters_id_fk" FOREIGN KEY ("dead_letter_id") REFERENCES "public"."dead_letters"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "dead_letter_keys_dead_letter" ON "dead_letter_keys" USING btree ("dead_letter_id");--> statement-breakpoint
CREATE INDEX "spans_span_id" ON "spans" USING btree ("span_id");--> statement-breakpoint
CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "kafka_group_status_group_trgm" ON "kafka_group_status" USING gin ("group_id" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "rabbitmq_queues_name_trgm" ON "rabbitmq_queues" USING gin ("name" gin_trgm_ops);--> statement-breakpoint
-- a message key as text when it is UTF-8 Postgres can hold (no NUL), else null: never an error inside the trigger
CREATE OR REPLACE FUNCTION switchyard_utf8_or_null(b bytea) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF b IS NULL OR length(b) = 0 OR length(b) > 500 OR position('\x00'::bytea IN b) > 0 THEN RETURN NULL; END IF;
  RETURN convert_from(b, 'UTF8');
EXCEPTION WHEN others THEN RETURN NULL;
END $$;--> statement-breakpoint
-- the values each stored dead letter can be found by (dead_letter_keys): one statement per insert, over its new rows
CREATE OR REPLACE FUNCTION switchyard_dead_letter_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO dead_letter_keys (value, dead_letter_id)
  SELECT DISTINCT x.v, x.id FROM (
    SELECT n.id, h.value AS v FROM new_rows n, jsonb_each(CASE WHEN jsonb_typeof(n.headers) = 'object' THEN n.headers ELSE '{}'::jsonb END) e,
      LATERAL (SELECT e.value #>> '{}' AS value) h
      WHERE e.key ~* '(id|key)$' AND jsonb_typeof(e.value) IN ('string', 'number')
    UNION ALL SELECT n.id, n.properties ->> 'messageId' FROM new_rows n WHERE jsonb_typeof(n.properties) = 'object'
    UNION ALL SELECT n.id, n.properties ->> 'correlationId' FROM new_rows n WHERE jsonb_typeof(n.properties) = 'object'
    UNION ALL SELECT n.id, switchyard_utf8_or_null(n.message_key) FROM new_rows n WHERE n.message_key IS NOT NULL
  ) x
  WHERE x.v IS NOT NULL AND length(x.v) BETWEEN 1 AND 500
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER dead_letter_keys_fill AFTER INSERT ON dead_letters REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION switchyard_dead_letter_keys();--> statement-breakpoint
-- the dead letters already stored
INSERT INTO dead_letter_keys (value, dead_letter_id)
SELECT DISTINCT x.v, x.id FROM (
  SELECT d.id, e.value #>> '{}' AS v FROM dead_letters d, jsonb_each(CASE WHEN jsonb_typeof(d.headers) = 'object' THEN d.headers ELSE '{}'::jsonb END) e
    WHERE e.key ~* '(id|key)$' AND jsonb_typeof(e.value) IN ('string', 'number')
  UNION ALL SELECT d.id, d.properties ->> 'messageId' FROM dead_letters d WHERE jsonb_typeof(d.properties) = 'object'
  UNION ALL SELECT d.id, d.properties ->> 'correlationId' FROM dead_letters d WHERE jsonb_typeof(d.properties) = 'object'
  UNION ALL SELECT d.id, switchyard_utf8_or_null(d.message_key) FROM dead_letters d WHERE d.message_key IS NOT NULL
) x
WHERE x.v IS NOT NULL AND length(x.v) BETWEEN 1 AND 500
ON CONFLICT DO NOTHING;

-- failure groups of 0015 took a Kafka record's "topic[partition]@offset" as its destination, one group per record:
-- those rows are grouped again by the collectors' backfill
UPDATE "dead_letters" SET "failure_group" = NULL, "failure_type" = NULL, "failure_message" = NULL WHERE "original_destination" ~ '\[\d+\]@\d+$';

import type { KafkaMessage } from "kafkajs";

/**
 * The headers Spring Kafka's DeadLetterPublishingRecoverer adds, encoded as Spring encodes them: partition as a
 * 4-byte big-endian int, offset and timestamp as 8-byte big-endian longs, the rest as UTF-8 text.
 */
export function springDltHeaders(input: { topic: string; partition: number; message: KafkaMessage; groupId: string; error: Error }): Record<string, Buffer> {
  const partition = Buffer.alloc(4);
  partition.writeInt32BE(input.partition);
  const offset = Buffer.alloc(8);
  offset.writeBigInt64BE(BigInt(input.message.offset));
  const ts = Buffer.alloc(8);
  ts.writeBigInt64BE(BigInt(input.message.timestamp));
  return {
    "kafka_dlt-original-topic": Buffer.from(input.topic),
    "kafka_dlt-original-partition": partition,
    "kafka_dlt-original-offset": offset,
    "kafka_dlt-original-timestamp": ts,
    "kafka_dlt-original-timestamp-type": Buffer.from("CreateTime"),
    "kafka_dlt-original-consumer-group": Buffer.from(input.groupId),
    "kafka_dlt-exception-fqcn": Buffer.from(input.error.name),
    "kafka_dlt-exception-message": Buffer.from(input.error.message),
    "kafka_dlt-exception-stacktrace": Buffer.from(input.error.stack ?? ""),
  };
}

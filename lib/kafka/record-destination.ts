/**
 * A Kafka dead letter's original destination as the capture records it, `topic[partition]@offset`, read back: the
 * topic and the partition (null when the record noted neither, or the text is just a name).
 */
export function kafkaTopicOf(destination: string | null | undefined): { topic: string; partition: number | null } | null {
  if (!destination) return null;
  const m = /^(.*)\[(\d+)\]@\d+$/s.exec(destination);
  return m ? { topic: m[1]!, partition: Number(m[2]) } : { topic: destination, partition: null };
}

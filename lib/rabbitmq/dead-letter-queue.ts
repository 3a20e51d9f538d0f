/**
 * A dead-letter queue the queue collector found and the capture consumes (collectors/rabbitmq): the one shape both
 * share, here so that neither imports the other.
 */
export interface DeadLetterQueueRef {
  vhost: string;
  name: string;
  /** classic | quorum | stream */
  type: string;
  /** the queues whose dead letters land in it */
  sources: string[];
}

/** How Switchyard handles a dead-letter queue (rabbitmq_queues.capture_mode; null: not a dead-letter queue). */
export const captureModes = ["capture", "observe-stream", "monitor-only", "not-captured"] as const;
export type CaptureMode = (typeof captureModes)[number];

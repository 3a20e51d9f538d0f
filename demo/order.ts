import { z } from "zod";

/** The order the shop passes along: HTTP body, Kafka value, RabbitMQ payment request. */
export const orderSchema = z.object({
  orderId: z.string().min(1).max(100),
  customer: z.string().min(1).max(100),
  sku: z.string().min(1).max(50),
  qty: z.number().int().positive().max(1000),
  amountCents: z.number().int().nonnegative(),
  /** demo knob carried by the order: which step should fail */
  fail: z.enum(["inventory", "payment-declined"]).optional(),
});
export type Order = z.infer<typeof orderSchema>;

export const newOrderSchema = orderSchema.omit({ orderId: true });

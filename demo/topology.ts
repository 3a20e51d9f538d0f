/** Names of everything the demo shop creates on the brokers. */
export const topology = {
  kafka: {
    orders: "shop.orders",
    ordersDlt: "shop.orders.DLT",
    inventoryGroup: "shop-inventory",
    analyticsGroup: "shop-analytics-slow",
  },
  rabbit: {
    paymentsExchange: "shop.payments",
    paymentsQueue: "shop.payments.requests",
    paymentRoutingKey: "payment.requested",
    dlx: "shop.dlx",
    paymentsDlq: "shop.payments.requests.dlq",
    notificationsExchange: "shop.notifications",
    notificationsQueue: "shop.notifications.email",
  },
} as const;

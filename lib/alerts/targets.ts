/** Where alerts go, from the configuration: Alertmanager, a Slack-compatible webhook, a signed JSON webhook. */
export const alertTargetKinds = ["alertmanager", "slack", "webhook"] as const;
export type AlertTargetKind = (typeof alertTargetKinds)[number];

export interface AlertTargets {
  alertmanagerUrl?: string;
  slackUrl?: string;
  webhookUrl?: string;
  webhookSecret?: string;
  publicUrl: string;
}

export function configuredTargets(t: AlertTargets): AlertTargetKind[] {
  return [...(t.alertmanagerUrl ? (["alertmanager"] as const) : []), ...(t.slackUrl ? (["slack"] as const) : []), ...(t.webhookUrl && t.webhookSecret ? (["webhook"] as const) : [])];
}

/**
 * The configured AMQP URL with its virtual host replaced: one connection per vhost, since an AMQP connection is
 * bound to the vhost it opened. The vhost is percent-encoded as the AMQP URI spec says (`/` is `%2F`).
 */
export function amqpUrlForVhost(amqpUrl: string, vhost: string): string {
  const u = new URL(amqpUrl);
  u.pathname = `/${encodeURIComponent(vhost)}`;
  return u.toString();
}

/** The vhost an AMQP URL opens: its path, percent-decoded; none or empty is the default vhost `/`. */
export function vhostOfAmqpUrl(amqpUrl: string): string {
  const path = new URL(amqpUrl).pathname.replace(/^\//, "");
  return path === "" ? "/" : decodeURIComponent(path);
}

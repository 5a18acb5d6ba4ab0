// The hotspot answers on two origins of the same host: the main one (the learner's pages, the
// admin area, the status API) and the content origin, another port, where course packages run
// (H5P, SCORM). A package is then a real origin of its own, so the phone's HTTP cache keeps its
// files and the players (an opaque sandbox gets a fresh cache partition on every visit), while
// it stays cross-origin to the hotspot's pages: it cannot read them, and the main origin
// refuses its requests (sandbox.ts). Ports are only known once bound (port 0 in tests), so the
// listener sets them here and pages read them per request.
import type { Context } from "koa";

/** A host a phone may name in its Host header: a DNS name, IPv4, or a bracketed IPv6 literal. */
const HOSTNAME = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])$/;

export class HotspotOrigins {
  contentPort = 0;

  /** `http://<the host the phone asked for>:<content port>`: where the player page frames packages. */
  contentUrl(ctx: Context): string {
    return `http://${requestHost(ctx)}:${this.contentPort}`;
  }
}

/**
 * The host this request was sent to, as the phone named it (the Pi's address or a name), so the
 * content origin is the same site as the page; the socket's own address when the Host header is
 * not a plain host name (nothing odd goes into a page or a policy).
 */
export function requestHost(ctx: Context): string {
  const host = ctx.hostname.includes(":") ? `[${ctx.hostname}]` : ctx.hostname;
  if (HOSTNAME.test(host)) return host;
  const local = (ctx.req.socket.localAddress ?? "127.0.0.1").replace(/^::ffff:/, "");
  return local.includes(":") ? `[${local}]` : local;
}

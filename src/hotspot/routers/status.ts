// The agent's status as a page and as JSON: everything for the logged-in admin, the state
// without the master URL and error texts for anyone else on the hotspot.
import Router from "@koa/router";
import type { Context } from "koa";
import type { AdminAuth } from "../auth.js";
import { statusPage } from "../pages/status.js";
import { html } from "../respond.js";
import { adminSession } from "../session.js";
import type { AgentControl, AgentStatus } from "../types.js";

/** What anyone on the hotspot may see: no master URL, no error text (they name hosts and paths). */
export function publicStatus(s: AgentStatus): AgentStatus {
  const { masterUrl: _m, error: _e, lastSync, ...withRecords } = s;
  const rest = withRecords.records
    ? { ...withRecords, records: withoutUploadError(withRecords.records) }
    : withRecords;
  if (!lastSync) return rest as AgentStatus;
  const { error: _le, ...sync } = lastSync;
  return { ...rest, lastSync: sync } as AgentStatus;
}

function withoutUploadError(records: NonNullable<AgentStatus["records"]>) {
  if (!records.lastUpload) return records;
  const { error: _e, ...lastUpload } = records.lastUpload as { error?: string };
  return { ...records, lastUpload: lastUpload as typeof records.lastUpload };
}

export function statusRouter(control: AgentControl, auth: AdminAuth): Router {
  const router = new Router();
  const statusFor = async (ctx: Context): Promise<AgentStatus> => {
    const s = await control.status();
    return adminSession(ctx, auth) ? s : publicStatus(s);
  };

  router.get("/api/status", async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    ctx.body = await statusFor(ctx);
  });

  router.get("/status", async (ctx) => {
    html(ctx, statusPage(await statusFor(ctx)));
  });

  return router;
}

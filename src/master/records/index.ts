/**
 * master/records/ — what learners did, as uploaded by agents: the store, the ingest route and
 * (in the files beside this one) export, LRS forwarding and the results page.
 */
import Router from "@koa/router";
import type Koa from "koa";
import { requireToken } from "../auth.js";
import { HttpProblem } from "../problem.js";
import { requireRecordsToken } from "./access.js";
import { exportConflicts, exportRecords } from "./export.js";
import type { ForwardingStatus } from "./forward.js";
import { ingestBatch } from "./ingest.js";
import { createResultsRouter, type ResultsPagesOptions } from "./results-page.js";
import type { RecordStore } from "./store.js";

export { RecordStore, type RecordStoreOptions } from "./store.js";

export interface RecordsRouterOptions {
  records: RecordStore;
  /** The agents' token (the same as for course sync): required to upload. */
  readToken?: string;
  /** The token to read records (export, results); without one they are closed. */
  recordsToken?: string;
  forwarding?: () => ForwardingStatus;
}

export function createRecordsRouter(o: RecordsRouterOptions): Router {
  const router = new Router({ prefix: "/v1" });
  const agent = requireToken(o.readToken, "handcarry");
  const reader = requireRecordsToken(o.recordsToken);
  router.post("/records", agent, (ctx) => ingestBatch(ctx, o.records));
  router.get("/records", reader, (ctx) => exportRecords(ctx, o.records));
  router.get("/records/conflicts", reader, (ctx) => exportConflicts(ctx, o.records));
  router.get("/records/forwarding", reader, (ctx) => {
    if (!o.forwarding) throw new HttpProblem(404, "this master forwards to no LRS (see --lrs-url)");
    ctx.body = o.forwarding();
  });
  return router;
}

/** The records API under /v1 and the results pages under /results, on `app`. */
export function mountRecords(app: Koa, o: RecordsRouterOptions & Pick<ResultsPagesOptions, "courses">): void {
  for (const router of [createRecordsRouter(o), createResultsRouter(o)]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
}

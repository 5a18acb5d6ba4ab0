/**
 * master/records/ — what learners did, as uploaded by agents: the store, the ingest route and
 * (in the files beside this one) export, LRS forwarding and the results page.
 */
import Router from "@koa/router";
import { requireToken } from "../auth.js";
import { ingestBatch } from "./ingest.js";
import type { RecordStore } from "./store.js";

export { RecordStore, type RecordStoreOptions } from "./store.js";

export interface RecordsRouterOptions {
  records: RecordStore;
  /** The agents' token (the same as for course sync): required to upload. */
  readToken?: string;
}

export function createRecordsRouter(o: RecordsRouterOptions): Router {
  const router = new Router({ prefix: "/v1" });
  const agent = requireToken(o.readToken, "handcarry");
  router.post("/records", agent, (ctx) => ingestBatch(ctx, o.records));
  return router;
}

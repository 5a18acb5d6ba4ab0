// A small xAPI 1.0.3 LRS on loopback for forwarding tests: `POST /statements` with basic
// auth and the version header, every statement checked with the xAPI validation library, each
// batch stored whole or not at all (as an LRS does), 409 for a batch holding an id it has.
// It can be taken down and brought back on the same port, and counts what arrived.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { validateStatement } from "../../src/records/xapi.js";

export interface TestLrs {
  url: string;
  /** Statements stored, by id. */
  statements: Map<string, unknown>;
  /** How many times each id arrived in a batch the LRS accepted (exactly once is 1). */
  accepted: Map<string, number>;
  /** Requests answered, by status. */
  answers: Map<number, number>;
  /** Statements that failed validation (the test expects none). */
  invalid: string[];
  /** Ids this LRS refuses with a 400, as an LRS with stricter rules would. */
  refuseIds: Set<string>;
  /** Close the port and every connection; requests then fail to connect. */
  down(): Promise<void>;
  /** Listen again on the same port. */
  up(): Promise<void>;
  /** Run `hook` after every accepted batch (to take the LRS down mid-run). */
  afterAccept?: (total: number) => void;
  /** Answer the next `n` requests with this status instead of storing. */
  failNext(n: number, status: number): void;
  close(): Promise<void>;
}

export const LRS_USER = "lrs-user";
export const LRS_PASSWORD = "lrs-password-0123";

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) parts.push(c);
  return Buffer.concat(parts).toString("utf8");
}

export async function startTestLrs(): Promise<TestLrs> {
  const expectedAuth = `Basic ${Buffer.from(`${LRS_USER}:${LRS_PASSWORD}`).toString("base64")}`;
  let failing = { n: 0, status: 0 };
  let server: Server | undefined;
  let port = 0;

  const answer = (res: ServerResponse, status: number, body: unknown) => {
    lrs.answers.set(status, (lrs.answers.get(status) ?? 0) + 1);
    res.writeHead(status, { "content-type": "application/json", "x-experience-api-version": "1.0.3" });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const text = await readBody(req);
    if (req.method !== "POST" || req.url !== "/statements") return answer(res, 404, { error: "not found" });
    if (req.headers.authorization !== expectedAuth) return answer(res, 401, { error: "unauthorized" });
    if (req.headers["x-experience-api-version"] !== "1.0.3")
      return answer(res, 400, { error: "X-Experience-API-Version 1.0.3 is required" });
    if (failing.n > 0) {
      failing.n--;
      return answer(res, failing.status, { error: "failing on purpose" });
    }
    const data = JSON.parse(text) as unknown;
    const batch = (Array.isArray(data) ? data : [data]) as Array<{ id: string }>;
    for (const s of batch) {
      const problems = validateStatement(s);
      if (problems.length > 0) {
        lrs.invalid.push(`${s.id}: ${problems.join("; ")}`);
        return answer(res, 400, { error: problems.join("; ") });
      }
    }
    const refused = batch.find((s) => lrs.refuseIds.has(s.id));
    if (refused) return answer(res, 400, { error: `statement ${refused.id} refused` });
    if (batch.some((s) => lrs.statements.has(s.id))) return answer(res, 409, { error: "id already stored" });
    for (const s of batch) {
      lrs.statements.set(s.id, s);
      lrs.accepted.set(s.id, (lrs.accepted.get(s.id) ?? 0) + 1);
    }
    // Once the answer has left: a hook that takes the LRS down must not swallow it.
    res.once("finish", () => lrs.afterAccept?.(lrs.statements.size));
    answer(
      res,
      200,
      batch.map((s) => s.id),
    );
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((req, res) => {
        handle(req, res).catch((e) => answer(res, 500, { error: (e as Error).message }));
      });
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        port = (server!.address() as AddressInfo).port;
        resolve();
      });
    });

  const down = () =>
    new Promise<void>((resolve) => {
      if (!server) return resolve();
      const s = server;
      server = undefined;
      s.close(() => resolve());
      s.closeAllConnections();
    });

  await listen();
  const lrs: TestLrs = {
    url: `http://127.0.0.1:${port}`,
    statements: new Map(),
    accepted: new Map(),
    answers: new Map(),
    invalid: [],
    refuseIds: new Set(),
    down,
    up: listen,
    failNext(n, status) {
      failing = { n, status };
    },
    close: down,
  };
  return lrs;
}

// The uploader against the real master's ingest (POST /v1/records) on loopback, through the
// fault proxy: 30 phones answer at once on the hotspot (10,000 statements, real HTTP, real
// LevelDB); the link is cut mid-answer while batches go up, two uploaders send the same
// batches at once (duplicated, reordered requests); the master ends with each exactly once
// and the Pi with none pending.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Outbox } from "../../../src/agent/records/outbox.js";
import { uploadRecords } from "../../../src/agent/records/upload.js";
import { startMaster } from "../../../src/master/server.js";
import { communityHealthOnLoopback, postForm } from "../../hotspot/helpers.js";
import { MOODLE51_DIR } from "../../support/corpus.js";
import { FaultProxy } from "../../support/fault-proxy.js";
import { waitFor } from "../../support/wait.js";
import { tempDir } from "../helpers.js";

const PHONES = 30;
const STATEMENTS = 10_000;
const present = existsSync(join(MOODLE51_DIR, "community-health@v1.mbz"));
if (!present) console.warn("skipping: needs the Moodle 5.1 backups (MOODLE51_DIR)");

describe.skipIf(!present)("records up to the real master", () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let master: Awaited<ReturnType<typeof startMaster>>;
  let proxy: FaultProxy;
  let hotspot: Awaited<ReturnType<typeof communityHealthOnLoopback>>;
  let outbox: Outbox;
  const token = randomBytes(8).toString("hex");

  beforeAll(async () => {
    dir = await tempDir("hc-upload-");
    master = await startMaster({
      dataDir: join(dir.path, "master"),
      host: "127.0.0.1",
      port: 0,
      readToken: token,
      publishToken: "p-token-1",
    });
    const port = Number(new URL(master.url).port);
    proxy = await FaultProxy.start({ targetHost: "127.0.0.1", targetPort: port, seed: 7 });
    hotspot = await communityHealthOnLoopback("hc-upload-hotspot-", async (db) => {
      outbox = await Outbox.open(db, {
        deviceId: "k3v9q2m8x1c4z7b0",
        masterUrl: () => master.url,
        maxPending: 50_000,
        maxPerLearnerPerDay: 2_000,
      });
      return { records: outbox };
    });
  }, 120_000);

  afterAll(async () => {
    await hotspot?.close();
    await proxy?.close();
    await master?.close();
    await dir?.remove();
  });

  it("30 phones, 10,000 statements, cuts, duplicated and reordered batches: each stored once", async () => {
    // 30 learners, each on their own phone (cookie), answering the choice over and over.
    const learners = await Promise.all(
      Array.from({ length: PHONES }, async (_, i) => {
        const me = await fetch(
          `${hotspot.server.url}/me`,
          postForm({ name: `Learner ${i}`, classCode: "7C" }),
        );
        return me.headers.get("set-cookie")!.split(";")[0]!;
      }),
    );
    let answered = 0;
    const phone = async (cookie: string) => {
      while (answered < STATEMENTS) {
        answered++;
        const res = await fetch(
          `${hotspot.server.url}/c/ch/a/choice_580`,
          postForm({ answer: "58" }, cookie),
        );
        expect(res.status).toBe(200);
        await res.arrayBuffer();
      }
    };
    const upload = (extra: Partial<Parameters<typeof uploadRecords>[0]> = {}) =>
      uploadRecords({
        outbox,
        masterUrl: proxy.url,
        deviceId: "k3v9q2m8x1c4z7b0",
        token,
        timeoutMs: 10_000,
        attempts: 2,
        ...extra,
      });

    // While the phones answer, batches go up over a link that cuts every answer after 3 KiB:
    // the master stores a batch whose acknowledgement never arrives, and the batch is sent again.
    proxy.setFaults({ cutAfterBytes: 3 * 1024, direction: "down", cutMode: "reset" });
    const answering = Promise.all(learners.map(phone));
    await waitFor(() => outbox.counts().pending >= 400, "400 statements answered");
    const during = await upload();
    await answering;
    expect(answered).toBe(STATEMENTS);
    expect(during.ok).toBe(false);

    // The link heals; two uploaders send the same batches at once, in small and large batches.
    proxy.clearFaults();
    const [a, b] = await Promise.all([upload({ batchSize: 37 }), upload()]);
    expect(a.ok && b.ok).toBe(true);
    const last = await upload();
    expect(last).toMatchObject({ ok: true, sent: 0 });

    expect(outbox.counts()).toMatchObject({ pending: 0, sent: STATEMENTS });
    const ids: string[] = [];
    for await (const r of master.storage.records.records()) ids.push(r.id);
    expect(ids).toHaveLength(STATEMENTS);
    expect(new Set(ids).size).toBe(STATEMENTS);
    const stats = proxy.stats();
    expect(stats.cuts).toBeGreaterThan(0);
  }, 600_000);
});

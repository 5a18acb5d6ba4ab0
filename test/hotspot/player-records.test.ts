// The players feed the learner's records: an H5P statement posted to the launch API and a SCORM
// commit put to it land in the agent's outbox (a real LevelDB) before the 2xx, named by the
// stable IRI under the master and by the phone's learner; a full outbox refuses with 507 and a
// statement that is not xAPI is a 400 naming the field. Real HTTP on loopback.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Outbox } from "../../src/agent/records/outbox.js";
import { extractArchive } from "../../src/archive/index.js";
import type { ServedCourse } from "../../src/hotspot/app.js";
import type { Statement } from "../../src/records/index.js";
import { Store } from "../../src/store/index.js";
import { tempDir } from "../agent/helpers.js";
import { CORPUS_DIR } from "../support/corpus.js";
import { twoScoPackage } from "../support/scorm.js";
import { courseTree, hotspotOnLoopback, postForm } from "./helpers.js";

const DRAGTEXT = join(CORPUS_DIR, "H5P.DragText@859ed559.h5p");
const present = existsSync(DRAGTEXT);
if (!present) console.warn("skipping: needs the DragText H5P of the corpus");

const MASTER = "https://master.example.org";
const DEVICE = "k3v9q2m8x1c4z7b0";

/** An "answered" statement as H5P.DragText emits it (its actor is the page's, not the learner's). */
const answered = (objectId: string) => ({
  actor: { name: "Someone Else", mbox: "mailto:someone@example.org", objectType: "Agent" },
  verb: { id: "http://adlnet.gov/expapi/verbs/answered", display: { "en-US": "answered" } },
  object: {
    id: objectId,
    objectType: "Activity",
    definition: {
      extensions: { "http://h5p.org/x-api/h5p-local-content-id": "content" },
      name: { "en-US": "Berries" },
      description: { "en-US": "Drag the words into the correct boxes" },
      type: "http://adlnet.gov/expapi/activities/cmi.interaction",
      interactionType: "fill-in",
      correctResponsesPattern: ["{case_matters=false}red[,]blue"],
    },
  },
  context: {
    contextActivities: {
      category: [{ id: "http://h5p.org/libraries/H5P.DragText-1.10", objectType: "Activity" }],
    },
  },
  result: {
    score: { min: 0, max: 2, raw: 1, scaled: 0.5 },
    completion: true,
    success: false,
    duration: "PT12.34S",
    response: "red[,]green",
  },
});

describe.skipIf(!present)("the players' statements in the learner's records", () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: Store;
  let outbox: Outbox;
  let server: Awaited<ReturnType<typeof hotspotOnLoopback>>;

  const learner = async (name: string): Promise<string> => {
    const res = await fetch(`${server.url}/me`, postForm({ name, classCode: "" }));
    return res.headers.get("set-cookie")!.split(";")[0]!;
  };
  /** The launch token of the player page's frame, opened as that learner. */
  const token = async (cookie: string, path: string): Promise<string> => {
    const page = await (await fetch(`${server.url}${path}`, { headers: { cookie } })).text();
    const t = /<iframe class="[a-z]+" src="http:\/\/[^"]+\/run\?t=([A-Za-z0-9_-]{22})"/.exec(page)?.[1];
    if (!t) throw new Error(`no launch in ${path}: ${page.slice(0, 300)}`);
    return t;
  };
  const postH5p = (t: string, statement: unknown) =>
    fetch(`${server.contentUrl}/api/launch/${t}/h5p/xapi`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify(statement),
    });
  const putScorm = (t: string, body: unknown) =>
    fetch(`${server.contentUrl}/api/launch/${t}/scorm/state`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const pending = async (): Promise<Statement[]> =>
    (await outbox.batch(100, 1 << 20)).map((p) => p.statement);

  beforeAll(async () => {
    dir = await tempDir("hc-player-records-");
    const treePath = join(dir.path, "berries", "v1", "tree");
    await extractArchive(DRAGTEXT, treePath);
    const berries: ServedCourse = {
      id: "berries",
      title: "Berries",
      contentHash: "hc1:berries",
      format: "zip",
      archivePath: DRAGTEXT,
      treePath,
      size: 0,
      publishedAt: "2026-12-01T14:44:52.000Z",
      installedAt: "2026-12-01T15:00:00.000Z",
    };
    const wash = await courseTree(dir.path, "wash", twoScoPackage());
    store = await Store.open(join(dir.path, "agent-db"));
    outbox = await Outbox.open(store, {
      deviceId: DEVICE,
      masterUrl: () => MASTER,
      maxPending: 100,
      maxPerLearnerPerDay: 4,
    });
    server = await hotspotOnLoopback([berries, wash], {
      records: outbox,
      packageCacheDir: join(dir.path, "cache"),
    });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await store?.close();
    await dir?.remove();
  });

  it("an H5P answer is kept under the master's activity IRI, as the phone's learner", async () => {
    const t = await token(await learner("Ayu"), "/c/berries/h5p/content");
    const res = await postH5p(t, answered("urn:handcarry:berries:content?subContentId=5f3c-11"));
    expect(res.status).toBe(200);
    const [kept, ...more] = await pending();
    expect(more).toEqual([]);
    expect(kept!.verb.id).toBe("http://adlnet.gov/expapi/verbs/answered");
    expect(kept!.object.id).toBe(
      "https://master.example.org/courses/berries/activities/content?subContentId=5f3c-11",
    );
    expect(kept!.actor).toMatchObject({ name: "Ayu", account: { homePage: "https://master.example.org" } });
    expect(kept!.actor.account!.name).toMatch(/^k3v9q2m8x1c4z7b0:[A-Za-z0-9_-]{8,}$/);
    expect(kept!.actor.mbox).toBeUndefined();
    expect(kept!.result!.score).toEqual({ min: 0, max: 2, raw: 1, scaled: 0.5 });
    expect(kept!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(kept!.context!.extensions).toMatchObject({
      "urn:handcarry:xapi:device": "k3v9q2m8x1c4z7b0",
      "urn:handcarry:xapi:content-hash": "hc1:berries",
    });
  });

  it("an H5P statement that is not xAPI is a 400 naming the field; nothing is kept", async () => {
    const before = (await pending()).length;
    const t = await token(await learner("Budi"), "/c/berries/h5p/content");
    const bad = { ...answered("urn:handcarry:berries:content"), result: { score: { scaled: 7 } } };
    const res = await postH5p(t, bad);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain(
      "result.score.scaled: is not a valid scaled score (a number from -1 to 1)",
    );
    expect((await pending()).length).toBe(before);
  });

  it("a full outbox refuses the H5P statement with 507, and keeps what it had", async () => {
    const t = await token(await learner("Citra"), "/c/berries/h5p/content");
    for (let i = 0; i < 4; i++)
      expect((await postH5p(t, answered("urn:handcarry:berries:content"))).status).toBe(200);
    const before = (await pending()).length;
    const refused = await postH5p(t, answered("urn:handcarry:berries:content"));
    expect(refused.status).toBe(507);
    expect(await refused.json()).toMatchObject({
      error: "not saved: this learner has reached today's limit of records on this device",
      code: "records.notSavedToday",
    });
    expect((await pending()).length).toBe(before);
  });

  it("a SCORM commit that passes and ends the session gives passed and terminated", async () => {
    const before = (await pending()).length;
    const t = await token(await learner("Dewi"), "/c/wash/scorm/package");
    const res = await putScorm(t, {
      cmi: {
        location: "page-4",
        suspend_data: "",
        completion_status: "completed",
        success_status: "passed",
        exit: "normal",
        session_time: "PT1M30S",
        score: { scaled: "0.8", raw: "8", min: "0", max: "10" },
      },
      terminate: true,
    });
    expect(res.status).toBe(204);
    const added = (await pending()).slice(before);
    expect(added.map((s) => s.verb.id)).toEqual([
      "http://adlnet.gov/expapi/verbs/passed",
      "http://adlnet.gov/expapi/verbs/terminated",
    ]);
    for (const s of added) {
      expect(s.object.id).toBe("https://master.example.org/courses/wash/activities/package/scos/sco_wash");
      expect(s.actor.account!.name).toMatch(/^k3v9q2m8x1c4z7b0:[A-Za-z0-9_-]{8,}$/);
      expect(s.result).toEqual({
        score: { scaled: 0.8, raw: 8, min: 0, max: 10 },
        completion: true,
        success: true,
        duration: "PT0H1M30S",
      });
      expect(s.context!.contextActivities!.parent![0]!.id).toBe(
        "https://master.example.org/courses/wash/activities/package",
      );
    }
  });

  it("a SCORM commit that changes nothing gives nothing; a new score gives progressed", async () => {
    const t = await token(await learner("Eka"), "/c/wash/scorm/package");
    const cmi = {
      location: "page-1",
      suspend_data: "a=1",
      completion_status: "incomplete",
      success_status: "unknown",
      exit: "suspend",
      session_time: "PT20S",
      score: { raw: "2", min: "0", max: "10" },
    };
    const start = (await pending()).length;
    expect((await putScorm(t, { cmi })).status).toBe(204);
    expect((await pending()).slice(start).map((s) => s.verb.id)).toEqual([
      "http://adlnet.gov/expapi/verbs/progressed",
    ]);
    const again = (await pending()).length;
    expect((await putScorm(t, { cmi: { ...cmi, location: "page-2" } })).status).toBe(204);
    expect((await pending()).length).toBe(again);
    expect((await putScorm(t, { cmi: { ...cmi, score: { raw: "6", min: "0", max: "10" } } })).status).toBe(
      204,
    );
    const [progressed, ...more] = (await pending()).slice(again);
    expect(more).toEqual([]);
    expect(progressed!.verb.id).toBe("http://adlnet.gov/expapi/verbs/progressed");
    expect(progressed!.result).toEqual({
      score: { scaled: 0.6, raw: 6, min: 0, max: 10 },
      completion: false,
      duration: "PT0H0M20S",
    });
  });

  it("a full outbox refuses the SCORM commit with 507; the lesson's progress is not kept", async () => {
    const cookie = await learner("Fitri");
    const h5p = await token(cookie, "/c/berries/h5p/content");
    for (let i = 0; i < 4; i++)
      expect((await postH5p(h5p, answered("urn:handcarry:berries:content"))).status).toBe(200);
    const before = (await pending()).length;
    const t = await token(cookie, "/c/wash/scorm/package");
    const cmi = {
      location: "page-9",
      suspend_data: "",
      completion_status: "completed",
      session_time: "PT5S",
    };
    const refused = await putScorm(t, { cmi, terminate: true });
    expect(refused.status).toBe(507);
    expect(await refused.json()).toMatchObject({ code: "records.notSavedToday" });
    expect((await pending()).length).toBe(before);
    const resumed = (await (
      await fetch(`${server.contentUrl}/api/launch/${t}/scorm/state`, { headers: { origin: "null" } })
    ).json()) as { cmi: Record<string, string> };
    expect(resumed.cmi["cmi.entry"]).toBe("ab-initio");
    expect(resumed.cmi["cmi.location"]).toBeUndefined();
  });
});

// The SCORM launch API on real loopback HTTP with a real LevelDB: the player page opens a launch
// per learner and SCO; a commit is checked against the version's limits (an oversized body is a
// 413, a too-long suspend_data a 400 naming the field) and kept; a new launch of the same learner
// resumes from it; another learner's launch gets nothing of it; a wrong token is a 404.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../agent/helpers.js";
import { twoScoPackage } from "../support/scorm.js";
import { courseTree, hotspotOnLoopback, postForm } from "./helpers.js";

let dir: Awaited<ReturnType<typeof tempDir>>;
let server: Awaited<ReturnType<typeof hotspotOnLoopback>>;

/** A phone's learner cookie, made by giving a name as the form does. */
async function learner(name: string): Promise<string> {
  const res = await fetch(`${server.url}/me`, postForm({ name, classCode: "" }));
  return res.headers.get("set-cookie")!.split(";")[0]!;
}

/** Open the player page as that learner; the launch's state URL from the iframe's src. */
async function launch(cookie: string, sco = ""): Promise<string> {
  const page = await (
    await fetch(`${server.url}/c/wash/scorm/package${sco}`, { headers: { cookie } })
  ).text();
  const token = /<iframe class="package" src="http:\/\/[^"]+\/run\?t=([A-Za-z0-9_-]{22})"/.exec(page)?.[1];
  if (!token) throw new Error(`no launch in the player page: ${page.slice(0, 300)}`);
  return `${server.contentUrl}/api/launch/${token}/scorm/state`;
}

interface StartingState {
  version: string;
  cmi: Record<string, string>;
}

/** What a new session of that launch starts from, fetched as the bridge does. */
const state = async (url: string): Promise<StartingState> =>
  (await fetch(url)).json() as Promise<StartingState>;

const put = (url: string, body: unknown) =>
  fetch(url, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

const commit = (location: string, suspend: string) => ({
  cmi: {
    location,
    suspend_data: suspend,
    completion_status: "incomplete",
    success_status: "unknown",
    exit: "suspend",
    session_time: "PT2M",
    score: { scaled: "0.25", raw: "25", min: "0", max: "100" },
  },
  terminate: true,
});

describe("the SCORM launch API", () => {
  beforeAll(async () => {
    dir = await tempDir("hc-scorm-state-");
    const course = await courseTree(dir.path, "wash", twoScoPackage());
    server = await hotspotOnLoopback([course], { packageCacheDir: `${dir.path}/cache` });
  });
  afterAll(async () => {
    await server?.close();
    await dir?.remove();
  });

  it("a first launch starts ab-initio with the learner's name; a commit is kept and resumed", async () => {
    const siti = await learner("Siti");
    const first = await launch(siti);
    const start = await state(first);
    expect(start.version).toBe("2004");
    expect(start.cmi).toMatchObject({
      "cmi.entry": "ab-initio",
      "cmi.learner_name": "Siti",
      "cmi.total_time": "PT0H0M0S",
    });
    expect((await put(first, commit("page-3", "a=1;b=2"))).status).toBe(204);
    const again = await state(await launch(siti));
    expect(again.cmi).toMatchObject({
      "cmi.entry": "resume",
      "cmi.location": "page-3",
      "cmi.suspend_data": "a=1;b=2",
      "cmi.completion_status": "incomplete",
      "cmi.score.scaled": "0.25",
      "cmi.total_time": "PT0H2M0S",
    });
  });

  it("another learner's launch cannot read this learner's state", async () => {
    const cookie = await learner("Ana");
    const ana = await state(await launch(cookie));
    expect(ana.cmi["cmi.entry"]).toBe("ab-initio");
    expect(ana.cmi["cmi.location"]).toBeUndefined();
    expect(ana.cmi["cmi.suspend_data"]).toBeUndefined();
  });

  it("each SCO keeps its own state", async () => {
    const siti = await learner("Siti");
    const wash = await launch(siti, "/sco_wash");
    const dry = await launch(siti, "/sco_dry");
    expect((await put(wash, commit("w", "wash"))).status).toBe(204);
    const dryState = await state(dry);
    expect(dryState.cmi["cmi.suspend_data"]).toBeUndefined();
  });

  it("an oversized body is a 413 and a too-long suspend_data a 400, with the reason", async () => {
    const url = await launch(await learner("Budi"));
    const huge = await put(url, commit("x", "y".repeat(600_000)));
    expect(huge.status).toBe(413);
    expect(await huge.json()).toEqual({
      error: "The lesson's saved data is larger than 524288 bytes; it was not kept.",
    });
    const long = await put(url, commit("x", "y".repeat(64_001)));
    expect(long.status).toBe(400);
    expect(await long.json()).toEqual({
      error: "cmi.suspend_data is 64001 characters; SCORM 2004 allows 64000; it was not kept.",
    });
    const badStatus = await put(url, { cmi: { completion_status: "done" } });
    expect(await badStatus.json()).toEqual({
      error:
        "cmi.completion_status is not one of completed, incomplete, not attempted, unknown; it was not kept.",
    });
    const notJson = await fetch(url, { method: "PUT", body: "{" });
    expect([notJson.status, await notJson.json()]).toEqual([
      400,
      { error: "The lesson's saved data is not JSON; it was not kept." },
    ]);
  });

  it("a SCORM course downloads as the .zip it is, not as a Moodle backup", async () => {
    const res = await fetch(`${server.url}/c/wash/download`);
    expect(res.headers.get("content-disposition")).toBe(
      `attachment; filename="wash-2024-01-01.zip"; filename*=UTF-8''wash-2024-01-01.zip`,
    );
    const page = await (await fetch(`${server.url}/c/wash`)).text();
    expect(page).toContain(">Download the course (.zip)</a>");
    expect(page).not.toContain(".mbz");
  });

  it("an unknown token is a 404; the API is on the content origin alone", async () => {
    const res = await fetch(`${server.contentUrl}/api/launch/AAAAAAAAAAAAAAAAAAAAAA/scorm/state`);
    expect(res.status).toBe(404);
    await expect(res.json()).resolves.toEqual({
      error: "This activity was opened too long ago: open it again.",
    });
    const main = await fetch(`${server.url}/api/launch/AAAAAAAAAAAAAAAAAAAAAA/scorm/state`);
    expect(main.status).toBe(404);
  });
});

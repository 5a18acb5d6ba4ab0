// The H5P routes over HTTP on loopback, without a browser: what the player page holds, and the
// clear answers for an activity that is not H5P, one that does not exist, and a Moodle backup
// whose .h5p is hostile (its bytes replaced by a zip with an entry climbing out).
import { existsSync } from "node:fs";
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { extractArchive } from "../../src/archive/index.js";
import type { ServedCourse } from "../../src/hotspot/app.js";
import { openCourse } from "../../src/readers/index.js";
import type { MoodleActivity } from "../../src/readers/moodle/model.js";
import { tempDir } from "../agent/helpers.js";
import { makeZip, patchBytes } from "../archive/helpers.js";
import { CORPUS_DIR, MOODLE51_DIR } from "../support/corpus.js";
import { hotspotOnLoopback } from "./helpers.js";

const DRAGTEXT = join(CORPUS_DIR, "H5P.DragText@859ed559.h5p");
const MOODLE = join(MOODLE51_DIR, "community-health@v1.mbz");
const present = existsSync(DRAGTEXT) && existsSync(MOODLE);
if (!present) console.warn("skipping: needs the DragText H5P and the Moodle 5.1 backups");

describe.skipIf(!present)("the H5P routes", () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: Awaited<ReturnType<typeof hotspotOnLoopback>>;

  const course = async (id: string, archive: string): Promise<ServedCourse> => {
    const treePath = join(dir.path, id, "v1", "tree");
    await extractArchive(archive, treePath);
    return {
      id,
      title: id,
      contentHash: `hc1:${id}`,
      format: "zip",
      archivePath: archive,
      treePath,
      size: 0,
      publishedAt: "2026-12-01T14:44:52.000Z",
      installedAt: "2026-12-01T15:00:00.000Z",
    };
  };

  beforeAll(async () => {
    dir = await tempDir("hc-h5p-routes-");
    const berries = await course("berries", DRAGTEXT);
    const hostile = await course("hostile-moodle", MOODLE);
    // The backup's .h5p replaced in place by a zip whose second entry climbs out of the folder.
    const moodle = await openCourse(hostile.treePath);
    const a = (await moodle.activity("h5pactivity_574")) as Extract<MoodleActivity, { type: "h5pactivity" }>;
    const file = await moodle.resolveFile(a.package!.key);
    const zip = await makeZip([
      { name: "h5p.json", data: Buffer.from("{}") },
      { name: "xx/escape.txt", data: Buffer.from("x") },
    ]);
    await writeFile(file.path, patchBytes(zip, "xx/escape", "../escape"));
    server = await hotspotOnLoopback([berries, hostile]);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await dir?.remove();
  });

  it("the player page frames a launch's runner on the content origin, and only that", async () => {
    const res = await fetch(`${server.url}/c/berries/h5p/content`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toMatch(
      new RegExp(`frame-ancestors 'none'; base-uri 'none'; frame-src ${server.contentUrl}$`),
    );
    const page = await res.text();
    const src = /<iframe class="player" src="([^"]+)"/.exec(page)?.[1];
    expect(src).toMatch(new RegExp(`^${server.contentUrl}/run\\?t=[A-Za-z0-9_-]{22}$`));
    expect(page).toContain(
      'sandbox="allow-scripts allow-same-origin allow-forms allow-popups allow-modals allow-downloads"',
    );
    expect(page).not.toContain("<script");
    const doc = await fetch(src!);
    expect(doc.headers.get("content-security-policy")).toMatch(
      /^sandbox allow-scripts allow-same-origin allow-forms allow-popups allow-modals allow-downloads; /,
    );
    expect(doc.headers.get("cache-control")).toBe("no-store");
    const text = await doc.text();
    expect(text).toContain('<script src="/assets/players/h5p-standalone-3.8.2/main.bundle.js"></script>');
    expect(text).toContain(`"api":"/api/launch/${src!.split("t=")[1]}/h5p/xapi"`);
    expect(text).toContain(`"h5pJsonPath":"/p/h5p/berries/hc1%3Aberries/content"`);
    // The main origin no longer serves the player or the package.
    const moved = await fetch(`${server.url}/assets/players/h5p-standalone-3.8.2/main.bundle.js`);
    expect(moved.status).toBe(404);
    const asset = await fetch(`${server.contentUrl}/p/h5p/berries/hc1%3Aberries/content/h5p.json`);
    expect([asset.status, asset.headers.get("cache-control")]).toEqual([
      200,
      "public, max-age=31536000, immutable",
    ]);
    const elsewhere = await fetch(`${server.contentUrl}/c/berries`);
    expect([elsewhere.status, await elsewhere.text()]).toEqual([404, "Not found."]);
  });

  it("an H5P course downloads as the .h5p it is, and its button says so", async () => {
    const page = await (await fetch(`${server.url}/c/berries`)).text();
    expect(page).toContain(">Download the course (.h5p)</a>");
    const res = await fetch(`${server.url}/c/berries/download`);
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="berries-[0-9-]+\.h5p"/);
  });

  it("answers 404 for an activity that is not H5P or does not exist", async () => {
    const page = await fetch(`${server.url}/c/hostile-moodle/h5p/page_567`);
    expect(page.status).toBe(404);
    expect(await page.text()).toContain("This activity has no H5P package.");
    const none = await fetch(`${server.url}/c/berries/h5p/nothing`);
    expect(none.status).toBe(404);
    expect(await none.text()).toContain("No such activity.");
  });

  it("a hostile .h5p in a Moodle backup: 422 naming the file and the entry; nothing unzipped", async () => {
    const res = await fetch(`${server.url}/c/hostile-moodle/h5p/h5pactivity_574`);
    expect(res.status).toBe(422);
    const text = await res.text();
    expect(text).toContain(
      `role="alert">This activity cannot be shown (H5P.DragText.h5p: is not a usable .h5p package (entry "../escape.txt": path has a ".." segment (zip slip))).</p>`,
    );
    expect(text).not.toContain(dir.path);
    expect(existsSync(join(dir.path, "hostile-moodle", "v1", "escape.txt"))).toBe(false);
    expect(await readdir(join(dir.path, "hostile-moodle", "v1", "h5p-packages"))).toEqual([]);
  });
});

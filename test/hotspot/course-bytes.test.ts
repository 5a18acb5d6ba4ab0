// Every route that serves course bytes, over real HTTP against the real hotspot app: names
// with percent signs are served as themselves (the path is decoded once), a symlink chain that
// climbs out of the course tree never leads to a file outside it (file browser, Moodle file
// route, Moodle XML reader), and downloads keep Range, If-Range, HEAD and 304.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../agent/helpers.js";
import { courseTree, hotspotOnLoopback, rawRequest } from "./helpers.js";

let dir: Awaited<ReturnType<typeof tempDir>>;
let hotspot: Awaited<ReturnType<typeof hotspotOnLoopback>>;

const HASH = "aa".repeat(20);
const BACKUP =
  `<?xml version="1.0"?><moodle_backup><information><original_course_fullname>Escape</original_course_fullname>` +
  `<contents><activities><activity><moduleid>5</moduleid><sectionid>1</sectionid><modulename>page</modulename>` +
  `<title>Notes</title><directory>activities/page_5</directory></activity></activities>` +
  `<sections><section><sectionid>1</sectionid><title>One</title><directory>sections/section_1</directory></section></sections>` +
  `</contents></information></moodle_backup>`;
const FILES = `<?xml version="1.0"?><files><file id="7"><contenthash>${HASH}</contenthash><contextid>1</contextid><component>mod_page</component><filearea>content</filearea><filename>notes.txt</filename><filesize>5</filesize><mimetype>text/plain</mimetype></file></files>`;
/**
 * A chain: "x" points at the tree itself (harmless as text); a link `depth` directories down
 * climbs back to the root, through x, and on up to "/" and `to`.
 */
const climb = (depth: number, to: string) =>
  `${"../".repeat(depth)}x/${"../".repeat(30)}${to.replace(/^\//, "")}`;

beforeAll(async () => {
  dir = await tempDir("hc-bytes-");
  const outside = join(dir.path, "outside");
  await mkdir(outside, { recursive: true });
  await writeFile(
    join(outside, "page.xml"),
    "<activity><page><content>SECRET-OUTSIDE</content></page></activity>",
  );
  const names = await courseTree(dir.path, "names", {
    "b%2fleak": "the file named b%2fleak\n",
    "b/leak": "the sibling b/leak\n",
    "e%2fpasswd": "the file named e%2fpasswd\n",
    e: { symlink: "/etc" },
    "100% pure.txt": "percent in the name\n",
    "docs/big.txt": "0123456789abcdefghij",
  });
  const chain = await courseTree(dir.path, "chain", {
    x: { symlink: "." },
    "docs/readme.txt": "inside\n",
    "docs/up": { symlink: climb(1, "/etc") },
  });
  const moodle = await courseTree(dir.path, "moodle", {
    "moodle_backup.xml": BACKUP,
    "files.xml": FILES,
    "sections/section_1/section.xml":
      "<section><number>1</number><name>One</name><sequence>5</sequence></section>",
    x: { symlink: "." },
    [`files/aa/${HASH}`]: { symlink: climb(2, "/etc/passwd") },
    "activities/page_5/module.xml": "<module><modulename>page</modulename><visible>1</visible></module>",
    "activities/page_5/page.xml": { symlink: climb(2, `${outside}/page.xml`) },
  });
  hotspot = await hotspotOnLoopback([names, chain, moodle]);
});
afterAll(async () => {
  await hotspot?.close();
  await dir?.remove();
});

const raw = (path: string, headers: Record<string, string> = {}, method = "GET") =>
  rawRequest(hotspot.url, path, headers, method);

/** 404, and nothing of /etc/passwd in the answer. */
async function refused(path: string): Promise<void> {
  const res = await raw(path);
  expect(res.status).toBe(404);
  expect(res.body).not.toContain("root:");
}

describe("a name is decoded once", () => {
  it("serves a file literally named b%2fleak as itself, beside a real b/leak", async () => {
    const literal = await raw("/c/names/browse/b%252fleak");
    expect(literal.status).toBe(200);
    expect(literal.body).toBe("the file named b%2fleak\n");
    expect((await raw("/c/names/browse/b/leak")).body).toBe("the sibling b/leak\n");
  });

  it("does not let a %2f name reach through a symlink out of the tree", async () => {
    const literal = await raw("/c/names/browse/e%252fpasswd");
    expect(literal.status).toBe(200);
    expect(literal.body).toBe("the file named e%2fpasswd\n");
    await refused("/c/names/browse/e/passwd");
  });

  it("downloads a file with a percent sign and a space in its name", async () => {
    const res = await raw("/c/names/browse/100%25%20pure.txt");
    expect(res.status).toBe(200);
    expect(res.body).toBe("percent in the name\n");
  });
});

describe("a symlink chain out of the course tree", () => {
  it("file browser: 404, never the file outside", async () => {
    await refused("/c/chain/browse/docs/up/passwd");
    expect((await raw("/c/chain/browse/docs/readme.txt")).body).toBe("inside\n");
  });

  it("Moodle file route: 404, never /etc/passwd", async () => {
    await refused("/c/moodle/file/1/mod_page/content/0/notes.txt");
  });

  it("Moodle XML reader: an activity whose XML leads outside is refused, its text never shown", async () => {
    const res = await raw("/c/moodle/a/page_5");
    expect(res.status).toBe(422);
    expect(res.body).toContain("activities/page_5/page.xml: resolves outside the course");
    expect(res.body).not.toContain("SECRET-OUTSIDE");
  });
});

describe("downloads through the shared sender", () => {
  const file = "/c/names/browse/docs/big.txt";

  it("Range and If-Range resume; a range past the end is 416 with the size", async () => {
    const full = await raw(file);
    expect(full.headers["accept-ranges"]).toBe("bytes");
    expect(full.headers["content-length"]).toBe("20");
    const etag = String(full.headers.etag);
    expect(etag).toMatch(/^"[0-9a-f-]+"$/);
    const part = await raw(file, { range: "bytes=15-", "if-range": etag });
    expect(part.status).toBe(206);
    expect(part.headers["content-range"]).toBe("bytes 15-19/20");
    expect(part.body).toBe("fghij");
    expect((await raw(file, { range: "bytes=-3" })).body).toBe("hij");
    const stale = await raw(file, { range: "bytes=15-", "if-range": '"stale"' });
    expect(stale.status).toBe(200);
    expect(stale.body).toBe("0123456789abcdefghij");
    const past = await raw(file, { range: "bytes=20-" });
    expect(past.status).toBe(416);
    expect(past.headers["content-range"]).toBe("bytes */20");
  });

  it("HEAD has the length and no body; a matching If-None-Match is 304", async () => {
    const head = await raw(file, {}, "HEAD");
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe("20");
    expect(head.body).toBe("");
    const etag = String(head.headers.etag);
    const again = await raw(file, { "if-none-match": etag });
    expect(again.status).toBe(304);
    expect(again.body).toBe("");
  });
});

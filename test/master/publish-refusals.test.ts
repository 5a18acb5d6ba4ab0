// A real `handcarry master` refuses course archives that could not be served safely or not
// be extracted at all: a 422 that names the entry, never a 500, never the master's own paths,
// and nothing of the upload left behind.
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTar, makeZip } from "../archive/helpers.js";
import { call, type MasterProcess, PUBLISH_TOKEN, startMasterProcess } from "./helpers.js";

let master: MasterProcess;

/** Generous limits: these build real deltas on a loaded 2-core machine. */
const SLOW = 600_000;

beforeAll(async () => {
  master = await startMasterProcess();
}, SLOW);
afterAll(async () => {
  await master?.stop();
}, SLOW);

const publish = (course: string, body: Buffer) =>
  call(`${master.url}/v1/courses/${course}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${PUBLISH_TOKEN}`, "content-type": "application/octet-stream" },
    body,
  });

// "up" resolves (as text) to the tree root; "esc" climbs through it: as text it stays inside
// (a/b/c/etc/passwd), followed by the kernel it leaves the tree for /etc/passwd.
const UP = { name: "a/b/c/d/up", target: "../../../.." };
const ESC = { name: "a/b/c/d/esc", target: "up/../../../../../../../../../../etc/passwd" };
const text = (s: string) => Buffer.from(s);

const chainZip = () =>
  makeZip([
    { name: "moodle_backup.xml", data: text("<moodle_backup/>") },
    { name: "a/b/c/d/", dir: true },
    { name: UP.name, data: text(UP.target), mode: 0o120777, compress: false },
    { name: ESC.name, data: text(ESC.target), mode: 0o120777, compress: false },
  ]);
const chainTarGz = async () =>
  gzipSync(
    await makeTar([
      { name: "moodle_backup.xml", data: text("<moodle_backup/>") },
      { name: "a/b/c/d/", type: "directory" },
      { name: UP.name, type: "symlink", linkname: UP.target },
      { name: ESC.name, type: "symlink", linkname: ESC.target },
    ]),
  );

describe("publishing refuses what a course never contains", { timeout: SLOW }, () => {
  it.each([
    ["a symlink chain climbing out of the tree (zip)", chainZip, `entry "${UP.name}": symlink to`],
    ["a symlink chain climbing out of the tree (tar.gz)", chainTarGz, `entry "${UP.name}": symlink to`],
    [
      "a symlink whose parent directory has no entry",
      () => makeTar([{ name: "nowhere/link", type: "symlink", linkname: "x" }]),
      'entry "nowhere/link": symlink to "x" refused',
    ],
    [
      "a name component of 256 bytes",
      () => makeZip([{ name: `dir/${"n".repeat(256)}`, data: text("x") }]),
      "a name in the path is longer than 255 bytes",
    ],
    [
      "a hard link",
      () =>
        makeTar([
          { name: "a.txt", data: text("a") },
          { name: "b.txt", type: "link", linkname: "a.txt" },
        ]),
      'entry "b.txt": hard link to "a.txt" is not supported',
    ],
    [
      "a FIFO",
      () => makeZip([{ name: "fifo", data: text(""), mode: 0o010644, compress: false }]),
      'entry "fifo": a FIFO is not supported in a course archive',
    ],
  ])("%s: 422 naming the entry, no master path, nothing kept", async (_what, make, message) => {
    const r = await publish("evil", await make());
    expect(r.status, r.text).toBe(422);
    const error = (JSON.parse(r.text) as { error: string }).error;
    expect(error).toContain(message);
    expect(error).toMatch(/^course archive: entry /);
    expect(r.text).not.toContain(master.dataDir);
    expect(r.text).not.toMatch(/"\/|\/tmp\/|incoming-/);
    expect(await readdir(join(master.dataDir, "work"))).toEqual([]);
    expect(await readdir(join(master.dataDir, "courses")).catch(() => [])).toEqual([]);
  });

  it("the catalog stays empty and the master keeps answering", async () => {
    const r = await call(`${master.url}/v1/catalog`);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual([]);
    expect(master.process.running).toBe(true);
  });
});

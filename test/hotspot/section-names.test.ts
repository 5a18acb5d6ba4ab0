// Sections a teacher left unnamed get Moodle's own name in the learner's language on the
// course page ("General" is "Umum", a week is "5 Januari - 11 Januari"); a teacher's name is
// shown as written. Real HTTP to the real app over backups made on disk.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../agent/helpers.js";
import { sectionsBackup } from "../readers/moodle/helpers.js";
import { courseTree, hotspotOnLoopback } from "./helpers.js";

let dir: Awaited<ReturnType<typeof tempDir>>;
let server: Awaited<ReturnType<typeof hotspotOnLoopback>>;

/** A backup of `format` from Moodle `version`: sections 0, 1 and 2, the last named "Malaria". */
const backup = (version: string, format: string) =>
  sectionsBackup(version, format, [undefined, undefined, "Malaria"]);

beforeAll(async () => {
  dir = await tempDir("hc-section-names-");
  server = await hotspotOnLoopback([
    await courseTree(dir.path, "topics43", backup("2023100900", "topics")),
    await courseTree(dir.path, "topics45", backup("2024100700", "topics")),
    await courseTree(dir.path, "weeks", backup("2025100600", "weeks")),
  ]);
});
afterAll(async () => {
  await server?.close();
  await dir?.remove();
});

const headings = async (course: string, lang: string) => {
  const body = await (
    await fetch(`${server.url}/c/${course}`, { headers: { "accept-language": lang } })
  ).text();
  return [...body.matchAll(/<section class="card"><h2>([^<]*)<\/h2>/g)].map((m) => m[1]);
};

describe("unnamed sections on the course page", () => {
  it("are named in Bahasa Indonesia", async () => {
    expect(await headings("topics43", "id")).toEqual(["Umum", "Topik 1", "Malaria"]);
    expect(await headings("topics45", "id")).toEqual(["Umum", "Bagian baru", "Malaria"]);
    expect(await headings("weeks", "id")).toEqual(["Umum", "5 Januari - 11 Januari", "Malaria"]);
  });

  it("are named in French", async () => {
    expect(await headings("topics45", "fr")).toEqual(["Généralités", "Nouvelle section", "Malaria"]);
    expect(await headings("weeks", "fr")).toEqual(["Généralités", "5 janvier - 11 janvier", "Malaria"]);
  });

  it("keep Moodle's English names in English", async () => {
    expect(await headings("topics43", "en")).toEqual(["General", "Topic 1", "Malaria"]);
    expect(await headings("weeks", "en")).toEqual(["General", "5 January - 11 January", "Malaria"]);
  });
});

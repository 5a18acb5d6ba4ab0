// Activities inside a Moodle 4.5+ subsection (mod_subsection) are listed under the
// subsection's name on the course page, and a bookmark to the subsection lists them too.
// Real HTTP to the real app over a backup made on disk (the 5.1 corpus has no subsection).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../agent/helpers.js";
import { backupXml, moduleXml, sectionXml } from "../readers/moodle/helpers.js";
import { courseTree, hotspotOnLoopback } from "./helpers.js";

let dir: Awaited<ReturnType<typeof tempDir>>;
let server: Awaited<ReturnType<typeof hotspotOnLoopback>>;

/** Section 0 holds a page and subsection 5; the subsection's section 11 holds pages 6 and 7 and subsection 8. */
const BACKUP = {
  "moodle_backup.xml": backupXml({
    sections: [{ id: "10" }, { id: "11" }, { id: "12" }],
    activities: [
      { id: "4", section: "10", type: "page", title: "Start here" },
      { id: "5", section: "10", type: "subsection", title: "Week one extras" },
      { id: "6", section: "11", type: "page", title: "Handwashing steps" },
      { id: "7", section: "11", type: "page", title: "Soap at home" },
      { id: "8", section: "11", type: "subsection", title: "Deeper" },
      { id: "9", section: "12", type: "page", title: "Deepest" },
    ],
  })
    .replace(
      "<section><sectionid>11</sectionid>",
      "<section><sectionid>11</sectionid><parentcmid>5</parentcmid><modname>subsection</modname>",
    )
    // Deeper than Moodle allows: subsection 8 inside subsection 5, holding section 12.
    .replace(
      "<section><sectionid>12</sectionid>",
      "<section><sectionid>12</sectionid><parentcmid>8</parentcmid><modname>subsection</modname>",
    ),
  "sections/section_10/section.xml": sectionXml("10", 0, "$@NULL@$", "4,5"),
  "sections/section_11/section.xml": sectionXml("11", 1, "Week one extras", "7,6,8"),
  "sections/section_12/section.xml": sectionXml("12", 2, "Deeper", "9"),
  "activities/page_4/module.xml": moduleXml("page"),
  "activities/subsection_5/module.xml": moduleXml("subsection"),
  "activities/page_6/module.xml": moduleXml("page"),
  "activities/page_7/module.xml": moduleXml("page"),
  "activities/subsection_8/module.xml": moduleXml("subsection"),
  "activities/page_9/module.xml": moduleXml("page"),
};

beforeAll(async () => {
  dir = await tempDir("hc-subsections-");
  server = await hotspotOnLoopback([await courseTree(dir.path, "sub", BACKUP)]);
});
afterAll(async () => {
  await server?.close();
  await dir?.remove();
});

const get = async (path: string) => {
  const res = await fetch(`${server.url}${path}`);
  expect(res.status).toBe(200);
  return res.text();
};
const deeper = '<li><a href="/c/sub/a/subsection_8"><span class="tag">Subsection</span>Deeper</a></li>';
const link = (id: string, name: string) =>
  `<li><a href="/c/sub/a/page_${id}"><span class="tag">Page</span>${name}</a></li>`;

describe("Moodle subsections", () => {
  it("list their activities under their name on the course page, in the teacher's order", async () => {
    const body = await get("/c/sub");
    expect(body).toContain(
      `<ul class="list">${link("4", "Start here")}<li class="subsection"><h3>Week one extras</h3><ul class="list">${link("7", "Soap at home")}${link("6", "Handwashing steps")}${deeper}</ul></li></ul>`,
    );
    expect(body).not.toContain("subsection_5");
    // A subsection is not a section of its own on the course page.
    expect([...body.matchAll(/<h2>([^<]*)<\/h2>/g)].map((m) => m[1])).toEqual(["General"]);
  });

  it("list them on the subsection's own page (a bookmark to it)", async () => {
    const body = await get("/c/sub/a/subsection_5");
    expect(body).toContain(`<h2>Week one extras</h2><ul class="list">${link("7", "Soap at home")}`);
    expect(await get("/c/sub/a/subsection_8")).toContain(
      `<h2>Deeper</h2><ul class="list">${link("9", "Deepest")}</ul>`,
    );
  });

  it("name a subsection nested deeper than Moodle allows as a link, in the page's language", async () => {
    const res = await fetch(`${server.url}/c/sub`, { headers: { "accept-language": "fr" } });
    expect(await res.text()).toContain(
      '<li><a href="/c/sub/a/subsection_8"><span class="tag">Sous-section</span>Deeper</a></li>',
    );
  });
});

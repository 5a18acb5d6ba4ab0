// Every message the hotspot throws at a learner or the admin comes from the catalogs: its
// routes throw through hotspotError (English text plus key), and the keys the shared HTTP
// code names exist in every language.
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { hotspotError } from "../../../src/hotspot/errors.js";
import { CATALOGS, SUPPORTED_LOCALES } from "../../../src/hotspot/i18n/index.js";
import { HttpError } from "../../../src/http/errors.js";

const SRC = join(import.meta.dirname, "../../../src");

async function sources(dir: string): Promise<{ path: string; text: string }[]> {
  const out: { path: string; text: string }[] = [];
  for (const d of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!d.isFile() || !d.name.endsWith(".ts")) continue;
    const path = join(d.parentPath, d.name);
    out.push({ path: relative(SRC, path), text: await readFile(path, "utf8") });
  }
  return out;
}

describe("messages the hotspot throws", () => {
  it("carry the English text as their message and their catalog key", () => {
    const e = hotspotError(422, "error.cannotShowActivity", { reason: "page.xml: not XML" });
    expect(e).toBeInstanceOf(HttpError);
    expect(e.status).toBe(422);
    expect(e.message).toBe("This activity cannot be shown (page.xml: not XML).");
    expect(e.translatable).toEqual({
      key: "error.cannotShowActivity",
      params: { reason: "page.xml: not XML" },
    });
  });

  it("are never English literals in the hotspot's own code", async () => {
    const literal = (await sources(join(SRC, "hotspot")))
      // errors.ts makes the keyed errors; sandbox.ts the English ones answered to package scripts.
      .filter(
        (f) =>
          !["hotspot/errors.ts", "hotspot/sandbox.ts"].includes(f.path) && /new HttpError\(/.test(f.text),
      )
      .map((f) => f.path);
    expect(literal, "throw hotspotError(status, key) with a catalog key instead").toEqual([]);
  });

  it("name only keys that every catalog has, in the shared HTTP code", async () => {
    const keys = (await sources(join(SRC, "http"))).flatMap((f) =>
      [...f.text.matchAll(/key: "([\w.]+)"/g)].map((m) => m[1]!),
    );
    expect([...new Set(keys)].sort()).toEqual([
      "error.expectedForm",
      "error.formCutOff",
      "error.formTooLarge",
      "error.notFound",
      "error.rangeNotSatisfiable",
    ]);
    for (const locale of SUPPORTED_LOCALES)
      for (const key of keys) expect(Object.hasOwn(CATALOGS[locale], key), `${locale} ${key}`).toBe(true);
  });
});

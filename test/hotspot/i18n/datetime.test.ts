// Dates and times through Intl in a given or the device's time zone.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { formatDateTime, isValidTimeZone } from "../../../src/hotspot/i18n/index.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const AT = "2026-12-01T15:46:00Z";

describe("formatDateTime", () => {
  it("writes date and time the local way in the given zone", () => {
    // ICU releases differ on the space before "PM" (U+0020 or U+202F): compare it as a space.
    expect(formatDateTime(AT, "en", "Asia/Jakarta").replace(/\s/g, " ")).toBe("Dec 1, 2026, 10:46 PM");
    expect(formatDateTime(AT, "id", "Asia/Jakarta")).toBe("1 Des 2026, 22.46");
    expect(formatDateTime(AT, "fr", "Africa/Nairobi")).toBe("1 déc. 2026, 18:46");
    expect(formatDateTime(new Date(AT), "fr", "UTC", "time")).toBe("15:46");
    expect(formatDateTime(Date.parse(AT), "id", "UTC", "date")).toBe("1 Des 2026");
  });

  it("the zone decides the day: 20:00 UTC on New Year's Eve is already 2027 in Jakarta", () => {
    const eve = "2026-12-31T20:00:00Z";
    expect(formatDateTime(eve, "id", "UTC", "date")).toBe("31 Des 2026");
    expect(formatDateTime(eve, "id", "Asia/Jakarta", "date")).toBe("1 Jan 2027");
    expect(formatDateTime(eve, "fr", "Asia/Jakarta", "date")).toBe("1 janv. 2027");
  });

  it("an unsupported language is written in English", () => {
    expect(formatDateTime(AT, "de", "UTC", "date")).toBe("Dec 1, 2026");
  });

  it("a missing or unreadable date is a dash", () => {
    for (const date of [undefined, null, "", "not a date", Number.NaN]) {
      expect(formatDateTime(date, "fr", "UTC")).toBe("—");
    }
  });

  it("an unknown time zone is an error naming it", () => {
    expect(isValidTimeZone("Africa/Nairobi")).toBe(true);
    expect(isValidTimeZone("Mars/Olympus_Mons")).toBe(false);
    expect(() => formatDateTime(AT, "en", "Mars/Olympus_Mons")).toThrow(
      /unknown time zone "Mars\/Olympus_Mons"/,
    );
  });

  it("defaults to the device's time zone (TZ of a real process)", () => {
    const script =
      "import('./src/hotspot/i18n/index.ts').then((m) => console.log(m.deviceTimeZone() + '|' + m.formatDateTime('2026-12-01T15:46:00Z', 'id')))";
    const run = (tz: string) =>
      execFileSync(process.execPath, ["--import", "tsx", "-e", script], {
        cwd: repo,
        env: { ...process.env, TZ: tz },
        encoding: "utf8",
      }).trim();
    expect(run("Asia/Jakarta")).toBe("Asia/Jakarta|1 Des 2026, 22.46");
    expect(run("Africa/Nairobi")).toBe("Africa/Nairobi|1 Des 2026, 18.46");
  });
});

// Choosing the page language from the switcher's choice, the browser's Accept-Language
// header and the admin's default.
import { describe, expect, it } from "vitest";
import { LANGUAGE_NAMES, negotiateLocale } from "../../../src/hotspot/i18n/index.js";

describe("negotiateLocale", () => {
  it("takes the browser's best supported language, honouring q-values and regions", () => {
    expect(negotiateLocale("id-ID,id;q=0.9,en-US;q=0.8,en;q=0.7", undefined, "en")).toBe("id");
    expect(negotiateLocale("fr-CA,fr;q=0.9", undefined, "en")).toBe("fr");
    expect(negotiateLocale("en-GB,en;q=0.9,fr;q=0.8", undefined, "id")).toBe("en");
    expect(negotiateLocale("en;q=0.5, fr;q=0.8", undefined, "id")).toBe("fr");
    expect(negotiateLocale("EN-gb", undefined, "fr")).toBe("en");
  });

  it("skips unsupported languages for a supported one further down the list", () => {
    expect(negotiateLocale("de-DE,de;q=0.9,fr;q=0.5", undefined, "en")).toBe("fr");
    expect(negotiateLocale("sw-KE, sw;q=0.9, en;q=0.6", undefined, "fr")).toBe("en");
    expect(negotiateLocale("id;q=0, fr", undefined, "en")).toBe("fr"); // q=0 means "not this"
  });

  it("falls back to the admin default for an unsupported, empty, wildcard or garbled header", () => {
    expect(negotiateLocale("de-DE,ru;q=0.8", undefined, "id")).toBe("id");
    expect(negotiateLocale("", undefined, "fr")).toBe("fr");
    expect(negotiateLocale(undefined, undefined, "id")).toBe("id");
    expect(negotiateLocale("*", undefined, "fr")).toBe("fr");
    expect(negotiateLocale(";;;,q=abc,,", undefined, "id")).toBe("id");
  });

  it("lets the learner's explicit choice win over the browser", () => {
    expect(negotiateLocale("id-ID,id;q=0.9", "fr", "en")).toBe("fr");
    expect(negotiateLocale("fr", "in", "en")).toBe("id"); // the old code for Indonesian
    expect(negotiateLocale("fr", "id-ID", "en")).toBe("id");
  });

  it("ignores an explicit choice that names no supported language", () => {
    expect(negotiateLocale("fr", "klingon", "en")).toBe("fr");
    expect(negotiateLocale(undefined, "", "id")).toBe("id");
  });

  it("uses English when the admin default itself is not supported", () => {
    expect(negotiateLocale(undefined, undefined, "de")).toBe("en");
    expect(negotiateLocale("ru", undefined, "")).toBe("en");
  });

  it("names each language in itself for the switcher", () => {
    expect(LANGUAGE_NAMES).toEqual({ en: "English", id: "Bahasa Indonesia", fr: "Français" });
  });
});

// The catalogs themselves: same keys and same {placeholders} in every language, every
// message valid ICU MessageFormat that formats, and the hotspot's own wording in each.
import { IntlMessageFormat } from "intl-messageformat";
import { describe, expect, it } from "vitest";
import {
  CATALOGS,
  createTranslator,
  type MessageKey,
  SUPPORTED_LOCALES,
} from "../../../src/hotspot/i18n/index.js";

interface AstNode {
  type: number;
  value?: unknown;
  options?: Record<string, { value: AstNode[] }>;
  children?: AstNode[];
}
// Node types of @formatjs/icu-messageformat-parser: 1 argument, 2 number, 3 date, 4 time,
// 5 select, 6 plural.
const ARGUMENT_TYPES = new Set([1, 2, 3, 4, 5, 6]);
const NUMERIC_TYPES = new Set([2, 6]);

/** Each {argument} a message uses, and whether it takes a number. */
function argumentsOf(nodes: AstNode[], found = new Map<string, boolean>()): Map<string, boolean> {
  for (const node of nodes) {
    if (ARGUMENT_TYPES.has(node.type) && typeof node.value === "string") {
      found.set(node.value, (found.get(node.value) ?? false) || NUMERIC_TYPES.has(node.type));
    }
    for (const option of Object.values(node.options ?? {})) argumentsOf(option.value, found);
    if (node.children) argumentsOf(node.children, found);
  }
  return found;
}

const parse = (locale: string, message: string) =>
  argumentsOf(new IntlMessageFormat(message, locale).getAst() as unknown as AstNode[]);

describe("message catalogs", () => {
  it("cover English, Bahasa Indonesia and French", () => {
    expect(SUPPORTED_LOCALES).toEqual(["en", "id", "fr"]);
  });

  it("have exactly the English keys", () => {
    const keys = Object.keys(CATALOGS.en).sort();
    expect(keys.length).toBeGreaterThan(150);
    for (const locale of SUPPORTED_LOCALES)
      expect(Object.keys(CATALOGS[locale]).sort(), locale).toEqual(keys);
  });

  it("use the same placeholders as English in every message, and every message formats", () => {
    for (const key of Object.keys(CATALOGS.en) as MessageKey[]) {
      const expected = parse("en", CATALOGS.en[key]);
      const params = Object.fromEntries([...expected].map(([name, numeric]) => [name, numeric ? 3 : "x"]));
      for (const locale of SUPPORTED_LOCALES) {
        expect(parse(locale, CATALOGS[locale][key]), `${locale} ${key}`).toEqual(expected);
        const text = createTranslator(locale).t(key, params);
        expect(text.trim().length, `${locale} ${key}`).toBeGreaterThan(0);
      }
    }
  });

  it("translate the pages' words rather than leave them in English", () => {
    // A handful of sentences that must never be the English text in another language.
    const sentences: MessageKey[] = [
      "home.emptyText",
      "activity.nothingOffline",
      "quiz.correct",
      "quiz.incorrect",
      "admin.tooManyTries",
      "error.cannotShowBackup",
      "error.cannotShowActivity",
      "error.masterCredentials",
      "admin.tokenLabel",
      "admin.tokenInClear",
      "learner.nameLength",
      "form.required",
      "form.numberRange",
      "form.noSuchOption",
    ];
    for (const locale of ["id", "fr"] as const) {
      for (const key of sentences)
        expect(CATALOGS[locale][key], `${locale} ${key}`).not.toBe(CATALOGS.en[key]);
    }
    expect(createTranslator("id").t("home.emptyText")).toBe(
      "Perangkat ini belum menerima kursus apa pun. Bawalah ke tempat yang ada jaringan agar kursus dapat disinkronkan.",
    );
    expect(createTranslator("fr").t("error.cannotShowBackup", { reason: "XML illisible" })).toBe(
      "Cette sauvegarde de cours ne peut pas être affichée (XML illisible). Utilisez plutôt Télécharger.",
    );
    expect(createTranslator("fr").t("activity.nothingOffline")).toBe(
      "Cette activité n’a aucun contenu consultable hors ligne.",
    );
  });

  it("say why an answer is refused, with plurals where the language has them", () => {
    expect(createTranslator("id").t("form.numberRange", { min: "0", max: "200" })).toBe(
      "Masukkan angka dari 0 sampai 200.",
    );
    expect(createTranslator("fr").t("form.maxLength", { max: 1 })).toBe("1 caractère au plus.");
    expect(createTranslator("fr").t("form.maxLength", { max: 40 })).toBe("40 caractères au plus.");
    expect(createTranslator("en").t("form.maxLength", { max: 1 })).toBe("At most 1 character.");
    expect(createTranslator("id").t("admin.tokenLabel", { saved: "yes" })).toBe(
      "Token baca (sudah tersimpan untuk server pusat ini; kosongkan untuk tetap memakainya; server pusat baru perlu token sendiri)",
    );
  });

  it("name every agent state in every language", () => {
    const states = ["serving", "network-seen", "checking", "syncing", "verifying", "updated", "error"];
    expect(states.map((s) => createTranslator("id").t(`state.${s}` as MessageKey))).toEqual([
      "Siap digunakan tanpa internet",
      "Jaringan ditemukan",
      "Memeriksa kursus baru",
      "Mengunduh kursus baru",
      "Memeriksa kursus yang diunduh",
      "Kursus sudah diperbarui",
      "Siap digunakan tanpa internet (sinkronisasi terakhir gagal)",
    ]);
    expect(createTranslator("fr").t("state.syncing")).toBe("Téléchargement des nouveaux cours");
  });
});

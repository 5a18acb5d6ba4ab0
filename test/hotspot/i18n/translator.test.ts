// Messages in English, Bahasa Indonesia and French through the real catalogs and
// intl-messageformat: expected texts are written out here, plurals included.
import { describe, expect, it } from "vitest";
import { createTranslator, type MessageKey } from "../../../src/hotspot/i18n/index.js";

const JAKARTA = "Asia/Jakarta";

describe("createTranslator", () => {
  it("speaks each supported language", () => {
    const say = (locale: string, key: MessageKey) => createTranslator(locale).t(key);
    expect(["en", "id", "fr"].map((l) => say(l, "home.openCourse"))).toEqual([
      "Open course",
      "Buka kursus",
      "Ouvrir le cours",
    ]);
    expect(["en", "id", "fr"].map((l) => say(l, "quiz.partiallyCorrect"))).toEqual([
      "Your answer is partially correct.",
      "Jawaban Anda sebagian benar.",
      "Votre réponse est partiellement correcte.",
    ]);
    expect(["en", "id", "fr"].map((l) => say(l, "mod.quiz"))).toEqual(["Quiz", "Kuis", "Test"]);
  });

  it("English plurals: one for 1, other for 0, 2 and 1,000", () => {
    const { t } = createTranslator("en");
    expect([0, 1, 2, 1000].map((count) => t("quiz.answersSaved", { count }))).toEqual([
      "0 answers saved",
      "1 answer saved",
      "2 answers saved",
      "1,000 answers saved",
    ]);
    expect(t("home.courseCount", { count: 0 })).toBe("No courses");
    expect(t("learn.replies", { count: 1 })).toBe("1 reply");
  });

  it("Indonesian plurals: one form for every number, thousands with a dot", () => {
    const { t } = createTranslator("id");
    expect([0, 1, 2, 1000].map((count) => t("quiz.answersSaved", { count }))).toEqual([
      "0 jawaban tersimpan",
      "1 jawaban tersimpan",
      "2 jawaban tersimpan",
      "1.000 jawaban tersimpan",
    ]);
    expect(t("learn.discussions", { count: 0 })).toBe("Belum ada diskusi");
    expect(t("learn.discussions", { count: 3 })).toBe("3 diskusi");
  });

  it("French plurals: 0 and 1 are singular, thousands with a narrow space", () => {
    const { t } = createTranslator("fr");
    expect([0, 1, 2, 1000].map((count) => t("quiz.answersSaved", { count }))).toEqual([
      "0 réponse enregistrée",
      "1 réponse enregistrée",
      "2 réponses enregistrées",
      "1\u202f000 réponses enregistrées",
    ]);
    expect(t("learn.replies", { count: 0 })).toBe("0 réponse");
    expect(t("home.courseCount", { count: 0 })).toBe("Aucun cours");
  });

  it("fills values in and writes percentages the local way", () => {
    expect(createTranslator("en").t("quiz.gradeOutOf", { grade: 7, max: 10 })).toBe("Grade: 7 out of 10");
    expect(createTranslator("id").t("quiz.question", { number: 2, total: 5 })).toBe("Soal 2 dari 5");
    expect(createTranslator("fr").t("quiz.gradeOutOf", { grade: 7, max: 10 })).toBe("Note\u00a0: 7 sur 10");
    expect(["en", "id", "fr"].map((l) => createTranslator(l).t("status.progress", { share: 0.4 }))).toEqual([
      "40%",
      "40%",
      "40\u00a0%",
    ]);
  });

  it("an unsupported or malformed language falls back to English", () => {
    for (const locale of ["de", "pt-BR", "zz", "", "!!"]) {
      const tr = createTranslator(locale);
      expect(tr.locale).toBe("en");
      expect(tr.t("learn.next")).toBe("Next");
    }
  });

  it("understands regional tags and old codes", () => {
    expect(createTranslator("id-ID").t("learn.previous")).toBe("Sebelumnya");
    expect(createTranslator("in").t("learn.previous")).toBe("Sebelumnya");
    expect(createTranslator("fr_CA").t("learn.previous")).toBe("Précédent");
    expect(createTranslator("EN-gb").locale).toBe("en");
  });

  it("dates in the translator's time zone, inside a message", () => {
    const tr = createTranslator("fr", { timeZone: JAKARTA });
    expect(tr.t("course.exported", { date: tr.dateTime("2026-12-01T15:46:00Z") })).toBe(
      "Exporté le 1 déc. 2026, 22:46",
    );
    const id = createTranslator("id", { timeZone: JAKARTA });
    expect(
      id.t("status.lastSyncDone", { date: id.dateTime("2026-12-01T15:46:00Z"), updated: 2, bytes: "1,5 KB" }),
    ).toBe("1 Des 2026, 22.46 — 2 kursus diperbarui, 1,5 KB diunduh");
    expect(id.dateTime(undefined)).toBe("—");
  });

  it("a missing value or an unknown key is an error naming the message", () => {
    expect(() => createTranslator("fr").t("quiz.gradeOutOf", { grade: 7 })).toThrow(
      /message "quiz.gradeOutOf" \(fr\):.*max/,
    );
    expect(() => createTranslator("en").t("no.such.key" as MessageKey)).toThrow(
      /unknown message key "no.such.key"/,
    );
  });
});

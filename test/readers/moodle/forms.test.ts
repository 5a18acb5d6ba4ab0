// The answer checks that need no course: a lesson's typed answers matched as Moodle matches them,
// and questionnaire rules the real course does not exercise (text length, dependencies).
import { describe, expect, it } from "vitest";
import {
  type FeedbackForm,
  type LessonPage,
  lessonAnswerFor,
  validateFeedback,
} from "../../../src/readers/moodle/index.js";

function page(kind: LessonPage["kind"], values: string[]): LessonPage {
  return {
    id: "1",
    kind,
    title: "",
    contentsHtml: "",
    answers: values.map((value, i) => ({
      id: String(i + 1),
      html: value,
      value,
      responseHtml: "",
      jumpto: -1,
      correct: i === 0,
    })),
    previousId: null,
    nextId: null,
  };
}

describe("lessonAnswerFor", () => {
  it("matches short answers case-insensitively with * as a wildcard", () => {
    const p = page("shortanswer", ["oral rehydration*", "water"]);
    expect(lessonAnswerFor(p, "  Oral Rehydration Salts ")?.id).toBe("1");
    expect(lessonAnswerFor(p, "Water")?.id).toBe("2");
    expect(lessonAnswerFor(p, "milk")).toBeNull();
  });

  it("matches numbers exactly or in a min:max range, as Moodle does", () => {
    const p = page("numerical", ["11.5:12.5", "25", "100:5"]);
    expect(lessonAnswerFor(p, "12,0")?.id).toBe("1");
    expect(lessonAnswerFor(p, "25")?.id).toBe("2");
    expect(lessonAnswerFor(p, "97")).toBeNull();
    expect(lessonAnswerFor(p, "ten")).toBeNull();
  });
});

describe("validateFeedback", () => {
  const base = { label: "", required: false, dependItemId: null, dependValue: "" };
  const form: FeedbackForm = {
    anonymous: true,
    multipleSubmit: false,
    afterSubmitHtml: "",
    items: [
      {
        ...base,
        id: "1",
        name: "Do you have a phone?",
        kind: "multichoice",
        mode: "radio",
        horizontal: false,
        options: [
          { value: "1", label: "Yes" },
          { value: "2", label: "No" },
        ],
      },
      {
        ...base,
        id: "2",
        name: "Which one?",
        kind: "textfield",
        size: 10,
        maxLength: 5,
        required: true,
        dependItemId: "1",
        dependValue: "Yes",
      },
    ],
  };

  it("asks a dependent question only when its condition holds", () => {
    expect(validateFeedback(form, { "1": "2" })).toEqual({ ok: true, value: { "1": "2" } });
    expect(validateFeedback(form, { "1": "1" })).toEqual({
      ok: false,
      errors: { "2": "This answer is required." },
    });
  });

  it("limits text to the item's length and refuses unknown items", () => {
    expect(validateFeedback(form, { "1": "1", "2": "Nokia 3310", "9": "x" })).toEqual({
      ok: false,
      errors: { "2": "At most 5 characters.", "9": "There is no such question." },
    });
  });
});

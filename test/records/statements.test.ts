// The statements the hotspot writes are valid xAPI 1.0.3 by Learning Locker's validator, name
// the learner, the activity and the course version as the README says, and bad statements
// from a browser are refused with what was wrong.
import { describe, expect, it } from "vitest";
import {
  type Activity,
  checkStatement,
  choiceStatement,
  experiencedStatement,
  InvalidStatementError,
  questionnaireStatement,
  quizAttemptStatements,
  statementProblems,
} from "../../src/records/index.js";

const place = {
  masterUrl: "http://master.example:8080/",
  deviceId: "k3v9q2m8x1c4z7b0",
  courseId: "community-health",
  contentHash: "hc1:abc123",
  activityId: "quiz_581",
  activityName: "Check your knowledge",
};
const learner = { id: "0123456789abcdef", name: "Budi", classCode: "9A" };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("statements built on the Pi", () => {
  it("a quiz attempt: one answered per question with its grade, then completed with the total", () => {
    const s = quizAttemptStatements(place, learner, {
      submittedAt: "2026-12-01T10:00:00.000Z",
      grade: 6.666666666,
      maxGrade: 100,
      needsGrading: true,
      questions: [
        {
          questionId: "9",
          bankEntryId: "4",
          slot: 4,
          type: "truefalse",
          interactionType: "true-false",
          response: "True",
          fraction: 1,
          mark: 1,
          maxMark: 1,
          success: true,
        },
        {
          questionId: "15",
          bankEntryId: null,
          slot: 10,
          type: "essay",
          interactionType: "long-fill-in",
          response: "Greeted everyone.",
          fraction: null,
          mark: null,
          maxMark: 5,
          success: null,
        },
      ],
    });
    for (const st of s) expect(statementProblems(st)).toEqual([]);
    expect(s.map((x) => x.verb.id)).toEqual([
      "http://adlnet.gov/expapi/verbs/answered",
      "http://adlnet.gov/expapi/verbs/answered",
      "http://adlnet.gov/expapi/verbs/completed",
    ]);
    expect(s[0]).toMatchObject({
      actor: {
        objectType: "Agent",
        name: "Budi",
        account: { homePage: "http://master.example:8080", name: "k3v9q2m8x1c4z7b0:0123456789abcdef" },
      },
      object: { id: "http://master.example:8080/courses/community-health/activities/quiz_581/questions/4" },
      result: { response: "True", success: true, score: { raw: 1, min: 0, max: 1, scaled: 1 } },
      timestamp: "2026-12-01T10:00:00.000Z",
      context: {
        contextActivities: {
          parent: [{ id: "http://master.example:8080/courses/community-health/activities/quiz_581" }],
          grouping: [{ id: "http://master.example:8080/courses/community-health" }],
        },
        extensions: {
          "urn:handcarry:xapi:device": "k3v9q2m8x1c4z7b0",
          "urn:handcarry:xapi:content-hash": "hc1:abc123",
          "urn:handcarry:xapi:class-code": "9A",
        },
      },
    });
    expect(s[1]!.result).toEqual({
      response: "Greeted everyone.",
      extensions: { "urn:handcarry:xapi:needs-grading": true },
    });
    expect(s[2]!.result!.score).toEqual({ raw: 6.6666667, min: 0, max: 100, scaled: 0.0666667 });
    expect(s[2]!.object.id).toBe("http://master.example:8080/courses/community-health/activities/quiz_581");
    // One attempt: one registration; every statement its own UUID.
    expect(new Set(s.map((x) => x.context!.registration)).size).toBe(1);
    expect(new Set(s.map((x) => x.id)).size).toBe(3);
    for (const x of s) expect(x.id).toMatch(UUID);
  });

  it("a choice, a questionnaire and a page read are valid, with their verbs and responses", () => {
    const at = "2026-12-01T11:00:00.000Z";
    const choice = choiceStatement({ ...place, activityId: "choice_580" }, learner, at, ["58", "59"]);
    const survey = questionnaireStatement({ ...place, activityId: "feedback_585" }, null, at, { 12: 3 });
    const read = experiencedStatement({ ...place, activityId: "page_5" }, learner, at, "page");
    for (const st of [choice, survey, read]) expect(checkStatement(st)).toBe(st);
    expect(choice.result).toEqual({ response: "58[,]59", completion: true });
    expect(survey.verb.id).toBe("http://adlnet.gov/expapi/verbs/responded");
    expect(survey.actor).toEqual({
      objectType: "Agent",
      name: "anonymous",
      account: { homePage: "http://master.example:8080", name: "k3v9q2m8x1c4z7b0:anonymous" },
    });
    expect(survey.result!.response).toBe('{"12":3}');
    expect(read.verb.id).toBe("http://adlnet.gov/expapi/verbs/experienced");
    expect((read.object as Activity).definition!.type).toBe("http://activitystrea.ms/schema/1.0/page");
  });

  it("without a master yet, IRIs use a reserved name that never resolves", () => {
    const s = experiencedStatement({ ...place, masterUrl: "" }, learner, "2026-12-01T11:00:00.000Z", "book");
    expect(s.object.id).toBe("http://handcarry.invalid/courses/community-health/activities/quiz_581");
  });
});

describe("validation of statements from a browser", () => {
  it("names every problem by its path", () => {
    const bad = {
      id: "not-a-uuid",
      actor: { name: 5 },
      verb: { id: "http://adlnet.gov/expapi/verbs/answered" },
      object: { id: "http://x.example/a" },
      result: { score: { raw: 5, max: 2 } },
    };
    expect(statementProblems(bad).sort()).toEqual([
      "actor.name: has the wrong type",
      "actor: has no identifier (mbox, mbox_sha1sum, openid or account)",
      "id: is not a valid Universal Unique Identifier (UUID)",
      "result.score: raw more than max",
    ]);
    expect(() => checkStatement("nope")).toThrow(InvalidStatementError);
    expect(() => checkStatement("nope")).toThrow("invalid xAPI statement: statement: is not an object");
  });
});

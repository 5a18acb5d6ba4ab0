// The SCORM data model's checks and the values a new session starts from, with literal
// expectations: both versions' time formats, 1.2's limits and vocabulary, resume after suspend.
import { describe, expect, it } from "vitest";
import { checkCommit, durationSeconds, formatDuration, resumeValues } from "../../src/hotspot/scorm/cmi.js";

describe("SCORM cmi", () => {
  it("reads 1.2 time spans and 2004 durations; writes each version's total time", () => {
    expect(durationSeconds("0001:02:03.50", "t")).toBe(3723.5);
    expect(durationSeconds("PT1H2M3.5S", "t")).toBe(3723.5);
    expect(durationSeconds("P1DT1S", "t")).toBe(86401);
    expect(() => durationSeconds("PT", "core.session_time")).toThrow(
      'cmi.core.session_time is not a time span: "PT"',
    );
    expect(formatDuration(3723.5, "1.2")).toBe("0001:02:03.50");
    expect(formatDuration(3723.5, "2004")).toBe("PT1H2M3.5S");
  });

  it("a 1.2 commit: passed counts as completed and as success; limits name the field", () => {
    const { summary } = checkCommit("1.2", {
      cmi: {
        core: {
          lesson_location: "4",
          lesson_status: "passed",
          exit: "suspend",
          session_time: "00:01:00",
          score: { raw: 80, max: "100" },
        },
        suspend_data: "abc",
      },
    });
    expect(summary).toEqual({
      location: "4",
      suspendData: "abc",
      completion: "completed",
      success: "passed",
      scoreRaw: 80,
      scoreMin: null,
      scoreMax: 100,
      scoreScaled: null,
      exit: "suspend",
      sessionSeconds: 60,
    });
    expect(() => checkCommit("1.2", { cmi: { suspend_data: "x".repeat(4097) } })).toThrow(
      "cmi.suspend_data is 4097 characters; SCORM 1.2 allows 4096",
    );
    expect(() => checkCommit("1.2", { cmi: { core: { lesson_location: "x".repeat(256) } } })).toThrow(
      "cmi.core.lesson_location is 256 characters; SCORM 1.2 allows 255",
    );
    expect(() => checkCommit("1.2", { cmi: { core: { exit: "normal" } } })).toThrow(
      "cmi.core.exit is not one of time-out, suspend, logout",
    );
    expect(() => checkCommit("1.2", { cmi: "x" })).toThrow("cmi must be an object");
    expect(() => checkCommit("1.2", { cmi: { "bad name": "x" } })).toThrow(
      "cmi has an element with a bad name",
    );
  });

  it("a session after a suspended one resumes; after a normal exit it starts fresh", () => {
    const suspended = checkCommit("1.2", {
      cmi: {
        core: { lesson_location: "4", lesson_status: "incomplete", exit: "suspend" },
        suspend_data: "s",
      },
    });
    const base = {
      version: "1.2" as const,
      learnerId: "abc",
      learnerName: "Siti",
      launchData: "",
      masteryScore: 70,
    };
    expect(resumeValues({ ...base, last: suspended, totalSeconds: 90 })).toEqual({
      "cmi.core.student_id": "abc",
      "cmi.core.student_name": "Siti",
      "cmi.core.entry": "resume",
      "cmi.core.lesson_location": "4",
      "cmi.core.lesson_status": "incomplete",
      "cmi.core.total_time": "0000:01:30.00",
      "cmi.suspend_data": "s",
      "cmi.student_data.mastery_score": "70",
    });
    const ended = checkCommit("1.2", { cmi: { core: { lesson_status: "completed", exit: "" } } });
    expect(resumeValues({ ...base, last: ended, totalSeconds: 0 })["cmi.core.entry"]).toBeUndefined();
    expect(resumeValues({ ...base, last: null, totalSeconds: 0 })["cmi.core.entry"]).toBe("ab-initio");
  });
});

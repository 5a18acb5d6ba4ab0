// mod_lesson: content pages (with their buttons) and question pages in the teacher's order, and
// the jump rules that move a learner between them (Moodle's jump codes: this page, next, previous,
// end of lesson, or a page id).
import { type ActivityContext, rich } from "../context.js";
import { int, list, path, text } from "../xml.js";

/** Moodle's page type numbers (mod/lesson/locallib.php). */
const PAGE_KINDS: Record<number, LessonPage["kind"]> = {
  1: "shortanswer",
  2: "truefalse",
  3: "multichoice",
  5: "matching",
  8: "numerical",
  10: "essay",
  20: "content",
  21: "end-of-branch",
  30: "cluster",
  31: "end-of-cluster",
};

/** Jump codes from lesson answers. */
export const LESSON_THIS_PAGE = 0;
export const LESSON_NEXT_PAGE = -1;
export const LESSON_PREVIOUS_PAGE = -40;
export const LESSON_END = -9;

export interface LessonAnswer {
  id: string;
  /** Button label (content pages) or answer text (question pages), as HTML. */
  html: string;
  /** Raw answer text: the pattern or number a typed answer is matched against. */
  value: string;
  responseHtml: string;
  jumpto: number;
  correct: boolean;
}

export interface LessonPage {
  id: string;
  kind:
    | "content"
    | "truefalse"
    | "multichoice"
    | "shortanswer"
    | "numerical"
    | "matching"
    | "essay"
    | "end-of-branch"
    | "cluster"
    | "end-of-cluster"
    | "unknown";
  title: string;
  contentsHtml: string;
  /** Content pages: the buttons; question pages: the answers. A content page without any continues to the next page. */
  answers: LessonAnswer[];
  previousId: string | null;
  nextId: string | null;
}

export function lessonPages(ctx: ActivityContext): { pages: LessonPage[]; firstPageId: string | null } {
  const custom = text(ctx.body.custom) === "1";
  const raw = list(path(ctx.body, "pages").page);
  const byId = new Map(raw.map((p) => [text(p["@id"]), p]));
  // Follow the prev/next chain from the first page; pages off the chain follow in backup order.
  const ordered: string[] = [];
  let cursor = raw.find((p) => int(p.prevpageid) === 0);
  while (cursor && !ordered.includes(text(cursor["@id"]))) {
    ordered.push(text(cursor["@id"]));
    cursor = byId.get(text(cursor.nextpageid));
  }
  for (const id of byId.keys()) if (!ordered.includes(id)) ordered.push(id);
  const pages = ordered.map((id, i): LessonPage => {
    const p = byId.get(id)!;
    return {
      id,
      kind: PAGE_KINDS[int(p.qtype, -1)] ?? "unknown",
      title: text(p.title),
      contentsHtml: rich(ctx, text(p.contents), text(p.contentsformat), "page_contents", id),
      answers: list(path(p, "answers").answer).map((a) => {
        const jumpto = int(a.jumpto);
        const answerId = text(a["@id"]);
        return {
          id: answerId,
          html: rich(ctx, text(a.answer_text), text(a.answerformat), "page_answers", answerId),
          value: text(a.answer_text),
          responseHtml: rich(ctx, text(a.response), text(a.responseformat), "page_responses", answerId),
          jumpto,
          correct: custom ? Number(text(a.score)) > 0 : jumpto !== LESSON_THIS_PAGE,
        };
      }),
      previousId: i > 0 ? ordered[i - 1]! : null,
      nextId: i + 1 < ordered.length ? ordered[i + 1]! : null,
    };
  });
  return { pages, firstPageId: ordered[0] ?? null };
}

/** Where a jump from `pageId` leads: a page id, or "end" for the end of the lesson. */
export function lessonJump(pages: LessonPage[], pageId: string, jumpto: number): string | "end" {
  const page = pages.find((p) => p.id === pageId);
  if (!page) return "end";
  if (jumpto === LESSON_THIS_PAGE) return page.id;
  if (jumpto === LESSON_END) return "end";
  if (jumpto === LESSON_PREVIOUS_PAGE) return page.previousId ?? page.id;
  if (jumpto > 0) return pages.some((p) => p.id === String(jumpto)) ? String(jumpto) : "end";
  // Next page, and the random / unseen jumps, which offline go to the next page.
  return page.nextId ?? "end";
}

function matchesShortAnswer(pattern: string, response: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split("*")
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
    "i",
  );
  return re.test(response.trim());
}

function matchesNumber(spec: string, response: string): boolean {
  const value = Number(response.trim().replace(",", "."));
  if (!Number.isFinite(value)) return false;
  const [a, b] = spec.split(":").map((s) => Number(s.trim()));
  if (a === undefined || !Number.isFinite(a)) return false;
  if (b === undefined || !Number.isFinite(b)) return value === a;
  // "min:max" is a range, as Moodle's lesson reads it (an inverted range matches nothing).
  return value >= a && value <= b;
}

/** The answer a response picks on a question page: an answer id (choices) or typed text. */
export function lessonAnswerFor(page: LessonPage, response: string): LessonAnswer | null {
  if (page.kind === "truefalse" || page.kind === "multichoice" || page.kind === "content")
    return page.answers.find((a) => a.id === response) ?? null;
  if (page.kind === "shortanswer")
    return page.answers.find((a) => matchesShortAnswer(a.value, response)) ?? null;
  if (page.kind === "numerical") return page.answers.find((a) => matchesNumber(a.value, response)) ?? null;
  // Essays are graded later: the first answer holds the jump.
  if (page.kind === "essay") return page.answers[0] ?? null;
  return null;
}

/** Question pages graded offline; an essay waits for a teacher, and matching is not shown offline. */
export function isGradedLessonPage(page: LessonPage): boolean {
  return ["truefalse", "multichoice", "shortanswer", "numerical"].includes(page.kind);
}

export interface LessonScore {
  /** Graded pages answered correctly, by the last answer on each (as Moodle counts a retry). */
  correct: number;
  /** Graded pages answered. */
  answered: number;
  /** Graded pages in the lesson. */
  questions: number;
}

/** The score from the outcome of each graded page answered (page id → correct). */
export function lessonScore(pages: LessonPage[], outcomes: ReadonlyMap<string, boolean>): LessonScore {
  const graded = pages.filter(isGradedLessonPage);
  const answered = graded.filter((p) => outcomes.has(p.id));
  return {
    correct: answered.filter((p) => outcomes.get(p.id) === true).length,
    answered: answered.length,
    questions: graded.length,
  };
}

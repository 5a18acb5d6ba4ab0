// The plain server-side model of a Moodle quiz and its questions, as read from a backup.
// Everything here is data (no functions), so it can be cached, logged and tested as is.
import type { QuestionError } from "./errors.js";

/** Where a text's embedded files live: `@@PLUGINFILE@@/x.png` in it is resolved against this. */
export interface FileArea {
  component: string;
  filearea: string;
  itemid: string;
}

/** Untrusted HTML from the backup (render only under a no-script CSP) and its file area. */
export interface RichText {
  html: string;
  area: FileArea;
}

/** One answer of a choice, short-answer or numerical question. */
export interface Answer {
  id: string;
  /** HTML for multichoice, plain text (a pattern or a number) for shortanswer and numerical. */
  text: RichText;
  /** Moodle's grade fraction, -1..1. */
  fraction: number;
  feedback: RichText;
}

export interface NumericalAnswer extends Answer {
  /** Absolute ("nominal") tolerance; `*` answers match anything. */
  tolerance: number;
}

/** Feedback by outcome (Moodle's "combined feedback"). */
export interface CombinedFeedback {
  correct: RichText | null;
  partial: RichText | null;
  incorrect: RichText | null;
}

interface Common {
  /** The question's id in this backup (one version in Moodle 4+). */
  id: string;
  /** Moodle 4+: the question bank entry (stable across versions); null in older backups. */
  bankEntryId: string | null;
  version: number | null;
  categoryId: string;
  name: string;
  /** Moodle's qtype name as written in the backup. */
  qtype: string;
  text: RichText;
  generalFeedback: RichText;
  defaultMark: number;
}

export interface MultichoiceQuestion extends Common {
  type: "multichoice";
  single: boolean;
  shuffle: boolean;
  /** 0 dropdown (only inside cloze), 1 vertical, 2 horizontal. */
  layout: number;
  answers: Answer[];
  combined: CombinedFeedback;
}

export interface TrueFalseQuestion extends Common {
  type: "truefalse";
  trueAnswer: Answer;
  falseAnswer: Answer;
}

export interface ShortAnswerQuestion extends Common {
  type: "shortanswer";
  caseSensitive: boolean;
  answers: Answer[];
}

export interface NumericalUnit {
  unit: string;
  multiplier: number;
}

export interface NumericalQuestion extends Common {
  type: "numerical";
  answers: NumericalAnswer[];
  units: NumericalUnit[];
  /** Moodle's showunits: 0 typed in, 1 multiple choice, 2 select, 3 not used. */
  unitDisplay: number;
  /** 0 units not graded, 1 penalty is a fraction of the mark, 2 of the maximum. */
  unitGrading: number;
  unitPenalty: number;
}

export interface MatchStem {
  text: RichText;
  /** Index into `choices` of the right answer. */
  choice: number;
}

export interface MatchQuestion extends Common {
  type: "match";
  shuffle: boolean;
  stems: MatchStem[];
  /** Distinct answer texts (plain text), distractors included. */
  choices: string[];
  combined: CombinedFeedback;
}

export interface GapChoice {
  text: string;
  group: number;
}

export interface GapQuestion extends Common {
  type: "gapselect" | "ddwtos";
  shuffle: boolean;
  /** Choice n of Moodle's [[n]] is choices[n - 1]. */
  choices: GapChoice[];
  /** The right choice number of each gap, in the order the gaps appear in the text. */
  places: number[];
  combined: CombinedFeedback;
}

/** A cloze sub-question: a multichoice, shortanswer or numerical with its own weight. */
export type ClozePart = MultichoiceQuestion | ShortAnswerQuestion | NumericalQuestion;

export interface MultianswerQuestion extends Common {
  type: "multianswer";
  /** Sub-question n is `{#n}` in the text; a missing one is null (Moodle shows nothing there). */
  parts: (ClozePart | null)[];
}

export interface EssayQuestion extends Common {
  type: "essay";
  lines: number;
  template: string;
}

export interface DescriptionQuestion extends Common {
  type: "description";
}

/** A type the Pi cannot grade (STACK, CodeRunner, …): shown, answered, kept for later grading. */
export interface UngradableQuestion extends Common {
  type: "ungradable";
  /** Named answer fields found in the text (STACK's [[input:ans1]]); empty → one free-text box. */
  inputs: string[];
}

export type Question =
  | MultichoiceQuestion
  | TrueFalseQuestion
  | ShortAnswerQuestion
  | NumericalQuestion
  | MatchQuestion
  | GapQuestion
  | MultianswerQuestion
  | EssayQuestion
  | DescriptionQuestion
  | UngradableQuestion;

/** A slot whose question could not be built: its place in the quiz, and why. */
export interface BrokenQuestion {
  type: "broken";
  id: string;
  qtype: string;
  error: QuestionError;
}

/** What a quiz slot points at in the question bank. */
export type SlotReference =
  | { kind: "question"; questionId: string }
  | { kind: "entry"; entryId: string; version: number | null }
  | { kind: "random"; categoryId: string; includeSubcategories: boolean };

export interface QuizSlot {
  slot: number;
  page: number;
  /** null when the backup's mark is unusable: the question's default mark is used. */
  maxMark: number | null;
  ref: SlotReference;
}

export interface QuizSection {
  firstSlot: number;
  heading: string;
  shuffleQuestions: boolean;
}

export interface Quiz {
  id: string;
  name: string;
  intro: RichText;
  /** As set in Moodle; offline every attempt is played as deferred feedback (one submit). */
  preferredBehaviour: string;
  shuffleAnswers: boolean;
  /** The quiz's grade (the maximum of the scaled total). */
  grade: number;
  /** The sum of the slots' marks that `grade` is scaled from. */
  sumGrades: number;
  decimalPoints: number;
  questionsPerPage: number;
  slots: QuizSlot[];
  sections: QuizSection[];
}

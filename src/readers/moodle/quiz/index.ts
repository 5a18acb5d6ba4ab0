// Offline Moodle quizzes: read a quiz and the course question bank from an extracted backup,
// start a seeded attempt, render each question as a script-free HTML form fragment, grade the
// submitted form with Moodle's rules (deferred feedback) and summarise results for xAPI.
// Pure: no HTTP, no Koa; the hotspot's routers call these.
export { type Attempt, type AttemptSlot, type Orders, startAttempt } from "./attempt.js";
export { type QuestionBank, readQuestionBank } from "./bank.js";
export { buildQuestion } from "./build.js";
export { QuestionError, QuizError, type QuizErrorCode } from "./errors.js";
export {
  type Fields,
  type Graded,
  gradeQuestion,
  type QuestionState,
  stateFor,
  wildcardMatches,
} from "./grade.js";
export type * from "./model.js";
export { parseNumber } from "./numbers.js";
export { quizFromXml, readQuiz } from "./quiz.js";
export {
  defaultStrings,
  type PluginfileResolver,
  type QuizStrings,
  type RenderOptions,
  renderQuestion,
  resolvePluginfiles,
} from "./render.js";
export {
  type AttemptResult,
  type FormBody,
  type QuestionResult,
  slotFields,
  submitAttempt,
} from "./submit.js";
export { type InteractionType, type QuestionSummary, summarise } from "./xapi.js";

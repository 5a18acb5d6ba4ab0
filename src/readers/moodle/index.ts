// The Moodle reader: extracted .mbz backups (2.x to 5.x, zip or tar.gz give the same tree).

import { CourseTree } from "../tree.js";
import type { CourseReader } from "../types.js";
import { openMoodleCourse } from "./course.js";
import type { MoodleActivity } from "./model.js";

export const moodleReader: CourseReader<MoodleActivity> & { open: typeof openMoodleCourse } = {
  format: "moodle",
  detect: (tree) => new CourseTree(tree).exists("moodle_backup.xml"),
  open: openMoodleCourse,
};

export { type AnswerMessages, ENGLISH_ANSWER_MESSAGES } from "./activities/answer-messages.js";
export { type ChoiceForm, validateChoice } from "./activities/choice.js";
export {
  type FeedbackAnswer,
  type FeedbackForm,
  type FeedbackItem,
  validateFeedback,
} from "./activities/feedback.js";
export { glossaryLetter } from "./activities/glossary.js";
export { type LessonAnswer, type LessonPage, lessonAnswerFor, lessonJump } from "./activities/lesson.js";
export { type FileArea, fileKey, type MoodleFile, MoodleFiles } from "./files.js";
export type * from "./model.js";
export { defaultSectionName } from "./sections.js";
export { openMoodleCourse };

// Moodle's own names for sections a teacher left unnamed, as the course format of the backup's
// Moodle version shows them (English strings from Moodle's lang files):
// - every format: section 0 is "General" (section0name);
// - topics before 4.4: "Topic N" (get_string('topic') / format_topics 'sectionname');
// - topics ("Custom sections") from 4.4: "New section" for every unnamed section (newsection);
// - weeks: the week's dates, "5 January - 11 January" (strftimedateshort, day without leading 0);
// - other formats: "Section N" (core 'section').

import type { UnnamedSection } from "../types.js";

/** Moodle 4.4's version number: from here on unnamed topics are "New section". */
const MOODLE_4_4 = 2024042200;
const WEEK = 7 * 24 * 3600;
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

function shortDate(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
}

export interface CourseFormat {
  /** course.xml <format>: topics, weeks, social, singleactivity, … */
  format: string;
  /** moodle_backup.xml <moodle_version>, e.g. 2025100600.02. */
  moodleVersion: number;
  /** course.xml <startdate>, seconds. */
  startDate: number;
}

/** Which of Moodle's names an unnamed section gets. */
export function unnamedSection(number: number, course: CourseFormat): UnnamedSection {
  if (number === 0) return { kind: "general" };
  if (course.format === "weeks" && course.startDate > 0) {
    // As format_weeks: two hours in so the date falls on the right day in any time zone.
    const firstDay = course.startDate + 7200 + (number - 1) * WEEK;
    return { kind: "week", firstDay, lastDay: firstDay + WEEK - 24 * 3600 };
  }
  if (course.format === "topics")
    return course.moodleVersion >= MOODLE_4_4 ? { kind: "new-section" } : { kind: "topic", number };
  return { kind: "section", number };
}

/** That name as Moodle says it in English. */
export function englishSectionName(u: UnnamedSection): string {
  switch (u.kind) {
    case "general":
      return "General";
    case "week":
      return `${shortDate(u.firstDay)} - ${shortDate(u.lastDay)}`;
    case "new-section":
      return "New section";
    case "topic":
      return `Topic ${u.number}`;
    default:
      return `Section ${u.number}`;
  }
}

export function defaultSectionName(number: number, course: CourseFormat): string {
  return englishSectionName(unnamedSection(number, course));
}

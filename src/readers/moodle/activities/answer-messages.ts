// What a learner is told when an answer to a choice or a questionnaire is refused. English
// here; a server that speaks other languages passes the same sentences in the learner's.
export interface AnswerMessages {
  required: string;
  maxLength(max: number): string;
  enterNumber: string;
  /** A number outside the item's range; a missing bound is null. */
  numberRange(min: number | null, max: number | null): string;
  chooseAnOption: string;
  chooseOnlyOne: string;
  chooseListed: string;
  /** `option` is what the phone sent, quoted. */
  noSuchOption(option: string): string;
  noSuchQuestion: string;
}

export const ENGLISH_ANSWER_MESSAGES: AnswerMessages = {
  required: "This answer is required.",
  maxLength: (max) => `At most ${max} ${max === 1 ? "character" : "characters"}.`,
  enterNumber: "Enter a number.",
  numberRange: (min, max) =>
    min === null
      ? `Enter a number of at most ${max}.`
      : max === null
        ? `Enter a number of at least ${min}.`
        : `Enter a number from ${min} to ${max}.`,
  chooseAnOption: "Choose an option.",
  chooseOnlyOne: "Choose only one option.",
  chooseListed: "Choose one of the options.",
  noSuchOption: (option) => `There is no option ${option}.`,
  noSuchQuestion: "There is no such question.",
};

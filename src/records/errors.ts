/** The Pi's store of statements is at a cap: nothing was saved, nothing saved before is dropped. */
export class RecordsFullError extends Error {
  constructor(readonly cap: "learner-day" | "total") {
    super(
      cap === "total"
        ? "the store of learners' records is full until the next sync carries them to the master"
        : "this learner has reached today's limit of records on this device",
    );
    this.name = "RecordsFullError";
  }
}

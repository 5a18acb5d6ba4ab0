/**
 * records/ — learners' results as xAPI 1.0.3 statements: the type, the builders for what the
 * hotspot produces, and validation of statements from the browser. Knows nothing of HTTP.
 */
export * from "./build.js";
export * from "./errors.js";
export * from "./statement.js";
export * from "./validate.js";

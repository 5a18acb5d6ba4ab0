// Parsing Moodle backup XML as hostile input: size cap, no DTDs (Moodle never writes one,
// and entity declarations are how XML bombs work), validated before use, and small
// accessors that never throw on a missing or oddly shaped element.
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { QuizError } from "./errors.js";

/** questions.xml of a big course is a few MB; refuse anything absurd before reading it. */
const MAX_XML_BYTES = 64 * 1024 * 1024;

/** Elements that repeat, so a single child still comes back as a list. */
const REPEATED = new Set([
  "question_category",
  "question_bank_entry",
  "question_versions",
  "question",
  "answer",
  "match",
  "subquestion",
  "numerical_record",
  "numerical_unit",
  "numerical_option",
  "question_instance",
  "section",
]);

/** Question plugins whose data the engine reads; other plugins' data (STACK's test cases,
 * CodeRunner's templates: most of a big questions.xml) is left unparsed, which makes reading
 * the STACK demo bank about four times faster. */
const READ_PLUGINS = new Set(
  [
    "multichoice",
    "truefalse",
    "shortanswer",
    "numerical",
    "match",
    "gapselect",
    "ddwtos",
    "multianswer",
    "essay",
  ].map((t) => `plugin_qtype_${t}_question`),
);

function parserFor(xml: string): XMLParser {
  const skipped = new Set<string>();
  for (const m of xml.matchAll(/<(plugin_q(?:type|bank)_\w{1,64}_question|question_hints|tags)>/g)) {
    if (!READ_PLUGINS.has(m[1]!)) skipped.add(`*.${m[1]}`);
  }
  return new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "@",
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    isArray: (name) => REPEATED.has(name),
    stopNodes: [...skipped],
  });
}

/** A parsed element: children by tag name, attributes as "@name". */
export type XmlNode = Record<string, unknown>;

/** Parse one document; throws QuizError naming `what` when it is not well-formed. */
export function parseXml(xml: string, what: string): XmlNode {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new QuizError("malformed-xml", `${what}: DTDs are not allowed`);
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new QuizError(
      "malformed-xml",
      `${what} is not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`,
    );
  }
  return node(parserFor(xml).parse(xml));
}

/** Read and parse `rel` inside an extracted backup tree. */
export async function readXmlFile(treePath: string, rel: string): Promise<XmlNode> {
  const path = join(treePath, rel);
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) throw new QuizError("missing-file", `${rel} is missing`);
  if (info.size > MAX_XML_BYTES) {
    throw new QuizError("too-large", `${rel} is ${info.size} bytes; refusing to parse over ${MAX_XML_BYTES}`);
  }
  return parseXml(await readFile(path, "utf8"), rel);
}

/** The element itself when it is one (the first when repeated), else an empty element. */
export function node(value: unknown): XmlNode {
  const first = Array.isArray(value) ? value[0] : value;
  return first !== null && typeof first === "object" ? (first as XmlNode) : {};
}

/** Child elements named `name` of `parent`, always a list. */
export function children(parent: unknown, name: string): XmlNode[] {
  const value = node(parent)[name];
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.filter((v): v is XmlNode => v !== null && typeof v === "object");
}

/** Text of child `name` (or of an attribute "@name"); "" for absent and for Moodle's $@NULL@$. */
export function textOf(parent: unknown, name: string): string {
  const value = node(parent)[name];
  const first = Array.isArray(value) ? value[0] : value;
  let text = "";
  if (typeof first === "string" || typeof first === "number") text = String(first);
  else if (first !== null && typeof first === "object") {
    const inner = (first as XmlNode)["#text"];
    if (typeof inner === "string" || typeof inner === "number") text = String(inner);
  }
  return text === "$@NULL@$" ? "" : text;
}

/** A number from child `name`; `fallback` when absent or empty, NaN when present but not a number. */
export function numberOf(parent: unknown, name: string, fallback: number): number {
  const text = textOf(parent, name).trim();
  if (text === "") return fallback;
  return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text) ? Number(text) : Number.NaN;
}

/** A Moodle boolean flag ("1"/"0"); `fallback` when absent. */
export function flagOf(parent: unknown, name: string, fallback: boolean): boolean {
  const text = textOf(parent, name).trim();
  return text === "" ? fallback : text !== "0";
}

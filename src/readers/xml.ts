// Course XML (Moodle backups, IMS manifests, QTI), read as hostile input: validated before it is
// parsed, no DOCTYPE (neither Moodle nor IMS packages need one, and it is where entity bombs live),
// a size cap, and small accessors that turn whatever shape the parser produced into plain strings
// and lists without throwing.
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { ReaderError } from "./errors.js";
import type { CourseTree } from "./tree.js";

/** XML files bigger than this are refused (a course bank with thousands of questions is ~10 MB). */
export const MAX_XML_BYTES = 64 * 1024 * 1024;

// The parser decodes no entities at all (its HTML entity table costs 5x the parse time); `text()`
// decodes XML's five named entities and numeric character references in one pass, so nothing is
// decoded twice and a DOCTYPE's entities (refused before parsing anyway) are never expanded.
const parser = new XMLParser({
  attributeNamePrefix: "@",
  ignoreAttributes: false,
  processEntities: false,
  jPath: false,
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: true,
});

const NAMED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  if (!s.includes("&")) return s;
  return s.replace(
    /&(?:#x([0-9a-fA-F]{1,6})|#(\d{1,7})|(lt|gt|amp|quot|apos));/g,
    (whole, hex, dec, name) => {
      if (name) return NAMED[name]!;
      const code = hex ? Number.parseInt(hex, 16) : Number(dec);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    },
  );
}

export type XmlNode = Record<string, unknown>;

export function obj(v: unknown): XmlNode {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as XmlNode) : {};
}

/** A repeated element as a list, whether the document had none, one or many. */
export function list(v: unknown): XmlNode[] {
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).map(obj);
}

/** A repeated element as a list of raw values (leaves stay strings, so `text` reads them). */
export function values(v: unknown): unknown[] {
  return Array.isArray(v) ? v : v === undefined ? [] : [v];
}

/** Text of a leaf; "" for absent, attribute-only elements and Moodle's $@NULL@$. */
export function text(v: unknown): string {
  if (typeof v === "string") return v === "$@NULL@$" ? "" : decodeEntities(v);
  if (typeof v === "number") return String(v);
  const t = obj(v)["#text"];
  return typeof t === "string" || typeof t === "number" ? text(t) : "";
}

/** An integer leaf, or `fallback` when it is absent or not a number. */
export function int(v: unknown, fallback = 0): number {
  const t = text(v);
  return /^-?\d+$/.test(t) ? Number(t) : fallback;
}

/** A child element by local name, whatever namespace prefix it has (`imscp:item`, `lom:title`). */
export function child(node: XmlNode, name: string): unknown {
  if (name in node) return node[name];
  const key = Object.keys(node).find((k) => k.endsWith(`:${name}`));
  return key === undefined ? undefined : node[key];
}

/** Follow element names from `root`; missing steps give an empty node. */
export function path(root: unknown, ...names: string[]): XmlNode {
  let node = obj(root);
  for (const n of names) node = obj(node[n]);
  return node;
}

export function parseXml(xml: string, file: string): XmlNode {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new ReaderError("malformed-xml", file, "has a DOCTYPE; refused");
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    const { msg, line } = valid.err;
    throw new ReaderError("malformed-xml", file, `is not well-formed XML (line ${line}: ${msg})`);
  }
  try {
    return obj(parser.parse(xml));
  } catch (err) {
    throw new ReaderError("malformed-xml", file, `cannot be parsed: ${(err as Error).message}`, err);
  }
}

/** Read and parse one XML file of the tree. */
export async function readXml(tree: CourseTree, file: string): Promise<XmlNode> {
  return parseXml(await tree.text(file, MAX_XML_BYTES), file);
}

// One manifest resource's content by kind: web content pages and files, cartridge web links,
// discussion topics and QTI assessments. Each reads the resource's own file (checked inside the
// tree) only when a learner opens it.
import { basename } from "node:path";
import { ReaderError } from "../errors.js";
import type { CourseTree } from "../tree.js";
import { child, list, obj, parseXml, text } from "../xml.js";
import type { PackageFiles } from "./files.js";
import { titleOf } from "./html.js";
import { folderOf, resolveHref } from "./manifest.js";
import type { ImsActivity } from "./model.js";
import { assessmentAttempt, parseAssessment } from "./qti.js";

export type ResourceKind = { type: ImsActivity["type"] };

/** Pages and descriptors bigger than this are refused (a whole book in one page is ~2 MB). */
const MAX_TEXT_BYTES = 16 * 1024 * 1024;

type Content = ImsActivity extends infer A
  ? A extends ImsActivity
    ? Omit<A, "id" | "name" | "visible" | "sectionId" | "resourceType">
    : never
  : never;

/** A cartridge descriptor's root element (webLink, topic, questestinterop), namespace prefixes aside. */
async function descriptor(tree: CourseTree, entry: string, root: string) {
  return obj(child(parseXml(await tree.text(entry, MAX_TEXT_BYTES), entry), root));
}

/** Web links leave the hotspot; only http(s) is offered (never javascript: or file:). */
function externalUrl(href: string): string {
  try {
    const url = new URL(href);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : "";
  } catch {
    return "";
  }
}

export async function readResource(
  tree: CourseTree,
  files: PackageFiles,
  kind: ResourceKind,
  entry: string,
  html: (s: string) => string,
  id: string,
): Promise<Content> {
  switch (kind.type) {
    case "page":
      return {
        type: "page",
        html: html(await tree.text(entry, MAX_TEXT_BYTES)),
        file: await files.link(entry),
      };
    case "resource":
      return { type: "resource", files: [await files.link(entry)] };
    case "url": {
      const link = await descriptor(tree, entry, "webLink");
      return { type: "url", externalUrl: externalUrl(text(obj(child(link, "url"))["@href"])) };
    }
    case "forum": {
      const topic = await descriptor(tree, entry, "topic");
      const attachments = [];
      for (const a of list(child(obj(child(topic, "attachments")), "attachment"))) {
        const href = text(a["@href"]).replace("$IMS-CC-FILEBASE$", "").replace(/^\/+/, "");
        const path = resolveHref(folderOf(entry), href);
        if (!path)
          throw new ReaderError(
            "unsafe-path",
            entry,
            `attachment ${JSON.stringify(href)} is outside the package`,
          );
        attachments.push(await files.link(path));
      }
      const body = child(topic, "text");
      const isHtml = /html/i.test(text(obj(body)["@texttype"]));
      const value = text(body);
      return {
        type: "forum",
        html: isHtml
          ? html(value)
          : html(value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/\n/g, "<br>")),
        attachments,
      };
    }
    case "quiz": {
      const assessment = parseAssessment(await tree.text(entry, MAX_TEXT_BYTES), entry, html);
      return {
        type: "quiz",
        questionCount: assessment.questions.length,
        attempt: (seed: number) => assessmentAttempt(id, assessment, seed),
      };
    }
    default:
      return { type: "other" };
  }
}

/** The name a resource gives itself, for packages whose organization names nothing. */
export async function resourceTitle(tree: CourseTree, kind: ResourceKind, entry: string): Promise<string> {
  if (kind.type === "page") return titleOf(await tree.text(entry, MAX_TEXT_BYTES));
  if (kind.type === "resource" || kind.type === "other") return basename(entry);
  const doc = parseXml(await tree.text(entry, MAX_TEXT_BYTES), entry);
  if (kind.type === "quiz")
    return text(obj(child(obj(child(doc, "questestinterop")), "assessment"))["@title"]);
  const root = obj(child(doc, kind.type === "url" ? "webLink" : "topic"));
  return text(child(root, "title")).trim();
}

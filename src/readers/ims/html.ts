// Package HTML as a hotspot page shows it: the body of a web content document (or a fragment from
// a discussion topic or a question), its links and embedded files rewritten to the caller's file
// and activity references, TeX rendered to MathML. Scripts are dropped (the page policy would
// refuse them anyway); a link that would leave the package goes nowhere.
import { renderMaths } from "../maths.js";
import { resolveHref } from "./manifest.js";

/** Cartridges write this in front of paths relative to the resource's own folder. */
const FILEBASE = "$IMS-CC-FILEBASE$";
/** Canvas puts a cartridge's shared files here and points at them through $IMS-CC-FILEBASE$. */
const CANVAS_FILES = "web_resources";

export interface LinkTargets {
  /** The folder the HTML's relative links start from ("" for the package root). */
  folder: string;
  /** A package path to the URL of the activity that shows it, when one does. */
  activityFor(path: string): string | null;
  fileUrl(path: string): string;
  /** Does the package hold this file? (Decides between the spec's and Canvas's file base.) */
  exists(path: string): boolean;
}

/** The inside of <body>, or the whole text when it is a fragment. */
export function bodyOf(html: string): string {
  const open = /<body\b[^>]*>/i.exec(html);
  if (!open) return html;
  const rest = html.slice(open.index + open[0].length);
  const close = rest.search(/<\/body\s*>/i);
  return close < 0 ? rest : rest.slice(0, close);
}

/** The document's <title>, for resources the manifest leaves unnamed. */
export function titleOf(html: string): string {
  const m = /<title\b[^>]*>([^<]*)<\/title>/i.exec(html);
  return m ? m[1]!.replace(/\s+/g, " ").trim() : "";
}

function target(value: string, to: LinkTargets): string {
  const v = value.trim();
  if (v === "" || v.startsWith("#") || /^(https?|mailto|tel|data):/i.test(v)) return value;
  const hash = v.includes("#") ? v.slice(v.indexOf("#")) : "";
  let path: string | null;
  if (v.startsWith(FILEBASE)) {
    const rel = v.slice(FILEBASE.length).replace(/^\/+/, "");
    const own = resolveHref(to.folder, rel);
    path = own && to.exists(own) ? own : resolveHref(CANVAS_FILES, rel);
  } else if (v.startsWith("$")) {
    // Other LMS placeholders ($WIKI_REFERENCE$, $CANVAS_OBJECT_REFERENCE$) name nothing here.
    return "#";
  } else path = resolveHref(to.folder, v);
  if (!path) return "#";
  const page = to.activityFor(path);
  return page ? page + hash : to.fileUrl(path);
}

const ATTRIBUTE = /(\s(?:src|href|poster|data))\s*=\s*("([^"]*)"|'([^']*)')/gi;

/** One HTML text of the package, ready to show inline. */
export function packageHtml(html: string, to: LinkTargets): string {
  const body = bodyOf(html)
    .replace(/<script\b[\s\S]*?<\/script\s*>/gi, "")
    .replace(/<(?:base|meta|link)\b[^>]*>/gi, "");
  const rewritten = body.replace(ATTRIBUTE, (_whole, name: string, _q, dq?: string, sq?: string) => {
    const raw = dq ?? sq ?? "";
    const url = target(decodeAttribute(raw), to);
    return `${name}="${url.replace(/&/g, "&amp;").replace(/"/g, "&quot;")}"`;
  });
  return renderMaths(rewritten);
}

function decodeAttribute(value: string): string {
  return value
    .replace(/&amp;/g, "&")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'");
}

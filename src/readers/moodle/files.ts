// Moodle's file store in a backup: files.xml names each file (context, component, file area,
// item, folder, name) and points at its bytes by content hash (files/<xx>/<sha1>). A file's key is
// that name, which does not change when the course is updated; @@PLUGINFILE@@ links in text are
// rewritten to keys, and keys resolve back to a checked path in the tree.
import { ReaderError } from "../errors.js";
import type { CourseTree } from "../tree.js";
import type { FileLink, ResolvedFile } from "../types.js";
import { list, obj, readXml, text } from "./xml.js";

export interface MoodleFile {
  key: string;
  contenthash: string;
  contextid: string;
  component: string;
  filearea: string;
  itemid: string;
  filepath: string;
  filename: string;
  mimetype: string;
  size: number;
  /** 1 marks a resource's main file. */
  sortorder: number;
}

/** Where a text's embedded files live: the text field's own file area. */
export interface FileArea {
  contextid: string;
  component: string;
  filearea: string;
  itemid?: string;
}

const HEX40 = /^[0-9a-f]{40}$/;

export function fileKey(area: FileArea, filepath: string, filename: string): string {
  return `${area.contextid}/${area.component}/${area.filearea}/${area.itemid ?? "0"}${filepath}${filename}`;
}

/** The default reference written into HTML: `file:` and the key, each segment URI-encoded. */
export function defaultFileUrl(key: string): string {
  return `file:${key.split("/").map(encodeURIComponent).join("/")}`;
}

export class MoodleFiles {
  private byKey = new Map<string, MoodleFile>();

  constructor(
    private tree: CourseTree,
    private fileUrl: (key: string) => string,
  ) {}

  /** Index files.xml. A missing files.xml is a course without files, not an error. */
  async load(): Promise<void> {
    if (!(await this.tree.exists("files.xml"))) return;
    const doc = await readXml(this.tree, "files.xml");
    for (const f of list(obj(doc.files).file)) {
      const filename = text(f.filename);
      const contenthash = text(f.contenthash).toLowerCase();
      // "." entries are Moodle's directory records, not files.
      if (filename === "" || filename === "." || filename.includes("/") || !HEX40.test(contenthash)) continue;
      const filepath = text(f.filepath) || "/";
      if (!filepath.startsWith("/") || !filepath.endsWith("/")) continue;
      const area = {
        contextid: text(f.contextid),
        component: text(f.component),
        filearea: text(f.filearea),
        itemid: text(f.itemid) || "0",
      };
      const key = fileKey(area, filepath, filename);
      this.byKey.set(key, {
        key,
        contenthash,
        ...area,
        filepath,
        filename,
        mimetype: text(f.mimetype) || "application/octet-stream",
        size: Number(text(f.filesize)) || 0,
        sortorder: Number(text(f.sortorder)) || 0,
      });
    }
  }

  /** The files of one area (all items when `itemid` is not given), in folder and name order. */
  inArea(area: FileArea): MoodleFile[] {
    const found = [...this.byKey.values()].filter(
      (f) =>
        f.contextid === area.contextid &&
        f.component === area.component &&
        f.filearea === area.filearea &&
        (area.itemid === undefined || f.itemid === area.itemid),
    );
    return found.sort((a, b) => (a.filepath + a.filename).localeCompare(b.filepath + b.filename));
  }

  link(file: MoodleFile): FileLink {
    return {
      key: file.key,
      url: this.fileUrl(file.key),
      filename: file.filename,
      filepath: file.filepath,
      mimetype: file.mimetype,
      size: file.size,
    };
  }

  links(area: FileArea): FileLink[] {
    return this.inArea(area).map((f) => this.link(f));
  }

  /** @@PLUGINFILE@@/path/name links of one text field turned into file references. */
  rewrite(html: string, area: FileArea): string {
    if (!html.includes("@@PLUGINFILE@@")) return html;
    return html.replace(/@@PLUGINFILE@@(\/[^"'<>\s?#]*)([?#][^"'<>\s]*)?/g, (_whole, rel: string) => {
      let decoded: string;
      try {
        decoded = decodeURIComponent(rel);
      } catch {
        decoded = rel;
      }
      const cut = decoded.lastIndexOf("/");
      return this.fileUrl(fileKey(area, decoded.slice(0, cut + 1), decoded.slice(cut + 1)));
    });
  }

  /**
   * The file a text of another context links (quiz questions name their area without the
   * context, which belongs to the question bank): the first file of that component, area, item
   * and path, whatever its context. `path` is as written after @@PLUGINFILE@@ (URL-encoded).
   */
  findLink(area: Omit<FileArea, "contextid">, path: string): FileLink | null {
    let decoded: string;
    try {
      decoded = decodeURIComponent(path.split(/[?#]/)[0] ?? "");
    } catch {
      return null;
    }
    for (const f of this.byKey.values()) {
      if (
        f.component === area.component &&
        f.filearea === area.filearea &&
        f.itemid === (area.itemid ?? "0") &&
        f.filepath + f.filename === decoded
      )
        return this.link(f);
    }
    return null;
  }

  get(key: string): MoodleFile | undefined {
    return this.byKey.get(key);
  }

  /** Where a file's bytes are inside the tree. */
  static contentPath(file: MoodleFile): string {
    return `files/${file.contenthash.slice(0, 2)}/${file.contenthash}`;
  }

  /** A key back to the file's bytes, checked to lie inside the tree. */
  async resolve(key: string): Promise<ResolvedFile> {
    const file = this.byKey.get(key);
    if (!file) throw new ReaderError("not-found", "files.xml", `no file ${JSON.stringify(key)}`);
    const { path, size } = await this.tree.file(MoodleFiles.contentPath(file));
    return { path, filename: file.filename, mimetype: file.mimetype, size };
  }
}

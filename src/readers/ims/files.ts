// Files of an installed IMS package: a file's key is its path inside the package (stable across
// updates, and relative links between files resolve against it). Keys come back from URLs, so they
// are checked again (plain segments, real path inside the tree) before anything is opened.
import { basename } from "node:path";
import { lookup } from "mime-types";
import type { CourseTree } from "../tree.js";
import type { FileLink, ResolvedFile } from "../types.js";
import { folderOf } from "./manifest.js";

/** Types by extension (IMS manifests name none); unknown files are octet-streams. */
export function mimetypeOf(path: string): string {
  return lookup(path) || "application/octet-stream";
}

export class PackageFiles {
  constructor(
    private tree: CourseTree,
    private fileUrl: (key: string) => string,
  ) {}

  url(path: string): string {
    return this.fileUrl(path);
  }

  /** A package file as a link; rejects (ReaderError) when it is missing or outside the tree. */
  async link(path: string): Promise<FileLink> {
    const { size } = await this.tree.file(path);
    const folder = folderOf(path);
    return {
      key: path,
      url: this.fileUrl(path),
      filename: basename(path),
      filepath: folder ? `/${folder}/` : "/",
      mimetype: mimetypeOf(path),
      size,
    };
  }

  async resolve(key: string): Promise<ResolvedFile> {
    const { path, size } = await this.tree.file(key);
    return { path, filename: basename(key), mimetype: mimetypeOf(key), size };
  }
}

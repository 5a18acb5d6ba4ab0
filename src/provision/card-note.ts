// provision/ — the office's side of a new device: read the card note that first boot
// writes to the boot partition (handcarry.txt) and make a label the carrier keeps.
import { readFile, stat } from "node:fs/promises";
import path from "node:path";

/** What the card note says about one device. */
export interface CardNote {
  device: string;
  ssid: string;
  password: string;
  coursePage: string | null;
}

export class CardNoteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CardNoteError";
  }
}

/** The note's name on the boot partition (systemd/handcarry-setup writes it). */
export const CARD_NOTE_NAME = "handcarry.txt";

/** Value of the line "Label:   value" (any spacing, CRLF or LF), or null. */
function field(lines: readonly string[], label: string): string | null {
  const prefix = `${label}:`;
  const line = lines.find((l) => l.startsWith(prefix));
  return line === undefined ? null : line.slice(prefix.length).trim();
}

/**
 * Parse the card note. A note edited on another computer may have CRLF line ends or a
 * byte-order mark; anything that is not the note fails with the missing line named.
 */
export function parseCardNote(text: string, source = CARD_NOTE_NAME): CardNote {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const device = /^handcarry device (\S+)$/.exec(
    lines.find((l) => l.startsWith("handcarry device ")) ?? "",
  )?.[1];
  const ssid = field(lines, "Wi-Fi name (SSID)");
  const password = field(lines, "Wi-Fi password");
  const missing = [
    device ? null : '"handcarry device …"',
    ssid ? null : '"Wi-Fi name (SSID): …"',
    password ? null : '"Wi-Fi password: …"',
  ].filter((m): m is string => m !== null);
  if (missing.length > 0) {
    throw new CardNoteError(`${source} is not a handcarry card note: no ${missing.join(", no ")} line`);
  }
  // WPA2-PSK passphrases are 8 to 63 characters; an SSID at most 32 bytes.
  if (Buffer.byteLength(ssid!) > 32) throw new CardNoteError(`${source}: the SSID is longer than 32 bytes`);
  if (password!.length < 8 || password!.length > 63) {
    throw new CardNoteError(
      `${source}: the Wi-Fi password must be 8 to 63 characters, it has ${password!.length}`,
    );
  }
  const page = field(lines, "Course page");
  return {
    device: device!,
    ssid: ssid!,
    password: password!,
    coursePage: page ? (page.split(/\s+/)[0] ?? null) : null,
  };
}

/** Read the note from the card: its boot partition (a directory) or the file itself. */
export async function readCardNote(where: string): Promise<CardNote> {
  const info = await stat(where).catch(() => null);
  if (!info) throw new CardNoteError(`${where} does not exist (is the card's boot partition mounted?)`);
  const file = info.isDirectory() ? path.join(where, CARD_NOTE_NAME) : where;
  const text = await readFile(file, "utf8").catch((err: NodeJS.ErrnoException) => {
    throw new CardNoteError(
      err.code === "ENOENT"
        ? `${file} not found: the device writes it at its first boot, so boot it once before provisioning`
        : `cannot read ${file}: ${err.message}`,
    );
  });
  return parseCardNote(text, file);
}

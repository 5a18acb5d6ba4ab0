// `handcarry provision`: the card note as first boot writes it becomes a label whose QR
// code a phone reads as "join handcarry-…". The PNG is decoded back with jsQR.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import jsQRModule from "jsqr";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCardNote } from "../../src/provision/card-note.js";
import { escapeWifiField, wifiQrText } from "../../src/provision/label.js";
import { runCliAsync } from "../support/cli.js";

// Exactly what systemd/handcarry-setup writes at first boot (CRLF: edited on Windows).
const NOTE = [
  "handcarry device 5432A7",
  "",
  "Wi-Fi name (SSID):  handcarry-5432A7",
  "Wi-Fi password:     k7mpq2xw9a",
  "Course page:        http://handcarry.local/  or  http://10.42.0.1/",
  "Admin password:     abcdefghjkmn",
  "",
  "To sync from a master, put its URL alone on the first line of",
  "handcarry-master.txt next to this file, then restart the device.",
  "",
].join("\r\n");

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "hc-provision-"));
  await writeFile(path.join(tmp, "handcarry.txt"), NOTE);
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

// jsqr is CommonJS (module.exports = jsQR) typed as an ES default export: under NodeNext
// the import is the module object for the types and the function at run time.
type Decode = typeof jsQRModule.default;
const jsQR: Decode =
  (jsQRModule as unknown as { default?: Decode }).default ?? (jsQRModule as unknown as Decode);

function decodePng(png: Buffer): string | null {
  const image = PNG.sync.read(png);
  return jsQR(new Uint8ClampedArray(image.data), image.width, image.height)?.data ?? null;
}

describe("handcarry provision", () => {
  it("reads the card note and builds the WIFI: text phones understand", () => {
    const note = parseCardNote(NOTE);
    expect(note).toEqual({
      device: "5432A7",
      ssid: "handcarry-5432A7",
      password: "k7mpq2xw9a",
      coursePage: "http://handcarry.local/",
    });
    expect(wifiQrText(note)).toBe("WIFI:T:WPA;S:handcarry-5432A7;P:k7mpq2xw9a;;");
    // Reserved characters are escaped, so a hand-set SSID cannot break the format.
    expect(escapeWifiField('a;b,c:d\\e"f')).toBe('a\\;b\\,c\\:d\\\\e\\"f');
  });

  it("prints the label, writes an SVG label and a PNG QR code that decodes to the network", async () => {
    const svg = path.join(tmp, "label.svg");
    const png = path.join(tmp, "qr.png");
    const result = await runCliAsync(["provision", tmp, "--svg", svg, "--png", png]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines.slice(0, 4)).toEqual([
      "handcarry device 5432A7",
      "Wi-Fi name:      handcarry-5432A7",
      "Wi-Fi password:  k7mpq2xw9a",
      "Course page:     http://handcarry.local/",
    ]);
    expect(result.stdout).toMatch(/[█▀▄]{10}/); // the terminal QR code
    // The label is for the carrier: the admin password stays in the office.
    expect(result.stdout).not.toContain("abcdefghjkmn");
    const label = await readFile(svg, "utf8");
    expect(label).toContain('<text x="5" y="14">Wi-Fi name:      handcarry-5432A7</text>');
    expect(label).toContain('<text x="5" y="20">Wi-Fi password:  k7mpq2xw9a</text>');
    expect(label).not.toContain("abcdefghjkmn");
    expect(decodePng(await readFile(png))).toBe("WIFI:T:WPA;S:handcarry-5432A7;P:k7mpq2xw9a;;");
  });

  it("says what is wrong with a card that has no note, or a file that is not one", async () => {
    const empty = await mkdtemp(path.join(tmp, "blank-"));
    const none = await runCliAsync(["provision", empty]);
    expect(none.status).toBe(1);
    expect(none.stderr).toBe(
      `handcarry: ${path.join(empty, "handcarry.txt")} not found: the device writes it at its first boot, so boot it once before provisioning\n`,
    );
    const other = path.join(tmp, "other.txt");
    await writeFile(other, "Wi-Fi name (SSID):  x\n");
    const bad = await runCliAsync(["provision", other]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe(
      `handcarry: ${other} is not a handcarry card note: no "handcarry device …", no "Wi-Fi password: …" line\n`,
    );
    expect(() => parseCardNote(NOTE.replace("k7mpq2xw9a", "short"))).toThrow(
      "handcarry.txt: the Wi-Fi password must be 8 to 63 characters, it has 5",
    );
  });
});

// The label for a device: its Wi-Fi name and password in print, and a QR code that a
// phone's camera turns into "join this network" (the WIFI: URI that Android and iOS read).
import QRCode from "qrcode";
import type { CardNote } from "./card-note.js";

/** Backslash before the characters the WIFI: format reserves (\ ; , : "). */
export function escapeWifiField(value: string): string {
  return value.replace(/[\\;,:"]/g, (c) => `\\${c}`);
}

/** The text the QR code holds: WIFI:T:WPA;S:<ssid>;P:<password>;; */
export function wifiQrText(note: Pick<CardNote, "ssid" | "password">): string {
  return `WIFI:T:WPA;S:${escapeWifiField(note.ssid)};P:${escapeWifiField(note.password)};;`;
}

/** The label as plain lines (terminal, or a label printer's text mode). */
export function labelLines(note: CardNote): string[] {
  return [
    `handcarry device ${note.device}`,
    `Wi-Fi name:      ${note.ssid}`,
    `Wi-Fi password:  ${note.password}`,
    ...(note.coursePage ? [`Course page:     ${note.coursePage}`] : []),
  ];
}

/** The QR code drawn with block characters, for a terminal. */
export function terminalQr(note: CardNote): Promise<string> {
  return QRCode.toString(wifiQrText(note), { type: "utf8", errorCorrectionLevel: "M", margin: 2 });
}

/** The QR code alone as a PNG (for a label printer's own layout). */
export function pngQr(note: CardNote, scale = 8): Promise<Buffer> {
  return QRCode.toBuffer(wifiQrText(note), { type: "png", errorCorrectionLevel: "M", margin: 4, scale });
}

function xmlText(value: string): string {
  return value.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A printable label (62 × 90 mm): the lines above the QR code, in one SVG file. */
export async function svgLabel(note: CardNote): Promise<string> {
  const qr = await QRCode.toString(wifiQrText(note), { type: "svg", errorCorrectionLevel: "M", margin: 0 });
  // The QR's own <svg>, placed as a nested image: its viewBox scales it into 52 × 52 mm.
  const nested = qr.replace("<svg ", '<svg x="5" y="33" width="52" height="52" ');
  const text = labelLines(note)
    .map((line, i) => `<text x="5" y="${8 + i * 6}">${xmlText(line)}</text>`)
    .join("\n  ");
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="62mm" height="90mm" viewBox="0 0 62 90">
  <rect width="62" height="90" fill="#fff"/>
  <g font-family="DejaVu Sans Mono, monospace" font-size="3.6" fill="#000">
  ${text}
  </g>
  ${nested}
</svg>
`;
}

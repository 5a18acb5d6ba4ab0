/** `handcarry provision`: print a new device's label from its card note, before it leaves the office. */
import { writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { readCardNote } from "./card-note.js";
import { labelLines, pngQr, svgLabel, terminalQr } from "./label.js";

export function registerProvisionCommand(program: Command): void {
  program
    .command("provision")
    .description(
      "read a device's card note (handcarry.txt on its boot partition, written at first boot) and print its label: Wi-Fi name, password and a join-by-camera QR code",
    )
    .argument("<card>", "the card's mounted boot partition, or the handcarry.txt file itself")
    .option("--svg <file>", "write a printable label (62 × 90 mm) as SVG")
    .option("--png <file>", "write the QR code alone as PNG")
    .option("--no-qr", "print the lines only, without the QR code")
    .action(async (card: string, o: { svg?: string; png?: string; qr: boolean }) => {
      const note = await readCardNote(card);
      process.stdout.write(`${labelLines(note).join("\n")}\n`);
      if (o.qr) process.stdout.write(`\n${await terminalQr(note)}\n`);
      if (o.svg) {
        await writeFile(o.svg, await svgLabel(note));
        process.stdout.write(`label written to ${o.svg}\n`);
      }
      if (o.png) {
        await writeFile(o.png, await pngQr(note));
        process.stdout.write(`QR code written to ${o.png}\n`);
      }
    });
}

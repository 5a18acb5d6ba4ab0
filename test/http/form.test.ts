// readForm over real HTTP on loopback: a whole form is read, a form cut off mid-body (the
// client promised more bytes than it sent, then went away) is refused rather than taken for
// whole, and a form larger than the limit is refused by its Content-Length.
import { connect } from "node:net";
import Koa from "koa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpError } from "../../src/http/errors.js";
import { readForm } from "../../src/http/form.js";
import { listen, type RunningServer } from "../../src/http/listen.js";
import { waitFor } from "../support/wait.js";

type Outcome = { form: Record<string, string> } | { status: number; key: string | undefined };
const outcomes: Outcome[] = [];
let server: RunningServer;

beforeAll(async () => {
  const app = new Koa();
  app.use(async (ctx) => {
    try {
      outcomes.push({ form: Object.fromEntries(await readForm(ctx, 64)) });
      ctx.body = "ok";
    } catch (e) {
      if (!(e instanceof HttpError)) throw e;
      outcomes.push({ status: e.status, key: e.translatable?.key });
      ctx.status = e.status;
    }
  });
  server = await listen(app, "127.0.0.1", 0);
});
afterAll(() => server?.close());

/** Send a form's head promising `length` bytes, then `body`, then close the connection. */
async function sendRaw(length: number, body: string): Promise<void> {
  const { port } = new URL(server.url);
  const socket = connect(Number(port), "127.0.0.1");
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  socket.on("error", () => {});
  socket.end(
    "POST /form HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
      `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${length}\r\n\r\n${body}`,
  );
}

describe("readForm", () => {
  it("reads a whole form", async () => {
    outcomes.length = 0;
    await sendRaw(17, "name=Siti&class=7");
    expect(await waitFor(() => outcomes[0], "the form read")).toEqual({ form: { name: "Siti", class: "7" } });
  });

  it("refuses a form cut off before all of it arrived", async () => {
    outcomes.length = 0;
    await sendRaw(40, "name=Siti&class=7");
    expect(await waitFor(() => outcomes[0], "the cut-off form refused")).toEqual({
      status: 400,
      key: "error.formCutOff",
    });
  });

  it("refuses a form larger than its limit by its Content-Length", async () => {
    outcomes.length = 0;
    await sendRaw(65, "name=Siti");
    expect(await waitFor(() => outcomes[0], "the large form refused")).toEqual({
      status: 413,
      key: "error.formTooLarge",
    });
  });
});

// The hotspot's language from a phone's point of view, over real HTTP to the real app: the
// browser's Accept-Language, the switcher's cookie that wins over it, and the admin's default
// for a phone that asks for nothing the hotspot speaks.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminLogin, hotspotOnLoopback, postForm } from "./helpers.js";

describe("the page language", () => {
  let server: Awaited<ReturnType<typeof hotspotOnLoopback>>;
  const langOf = async (headers: Record<string, string>) => {
    const body = await (await fetch(`${server.url}/`, { headers })).text();
    return { lang: /<html lang="(\w+)">/.exec(body)?.[1], body };
  };

  beforeAll(async () => {
    server = await hotspotOnLoopback([]);
  });
  afterAll(() => server?.close());

  it("follows Accept-Language, then the switcher's cookie", async () => {
    const id = await langOf({ "accept-language": "id-ID,id;q=0.9,en;q=0.5" });
    expect(id.lang).toBe("id");
    expect(id.body).toContain("Belum ada kursus");
    const status = await (
      await fetch(`${server.url}/status`, { headers: { "accept-language": "id" } })
    ).text();
    expect(status).toContain("<th>Data yang dihemat berkat delta</th>");
    const switched = await fetch(`${server.url}/?lang=fr`, { headers: { "accept-language": "id" } });
    const cookie = switched.headers.get("set-cookie")!.split(";")[0]!;
    expect(cookie).toBe("hc_lang=fr");
    expect((await langOf({ "accept-language": "id", cookie })).lang).toBe("fr");
  });

  it("uses the admin's default for a phone that asks for a language it does not speak", async () => {
    expect((await langOf({ "accept-language": "de" })).lang).toBe("en");
    const { cookie, csrf } = await adminLogin(server.url, "correct horse battery");
    const bad = await fetch(`${server.url}/admin/language`, postForm({ csrf, locale: "xx" }, cookie));
    expect(bad.status).toBe(400);
    const saved = await fetch(`${server.url}/admin/language`, postForm({ csrf, locale: "id" }, cookie));
    expect(saved.status).toBe(302);
    expect((await langOf({ "accept-language": "de" })).lang).toBe("id");
    expect((await langOf({ "accept-language": "fr" })).lang).toBe("fr");
  });
});

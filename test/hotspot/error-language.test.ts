// Error pages in the learner's language, over real HTTP to the real app: a course that is not
// there (404), a backup that cannot be read and an activity whose XML is broken (422), the
// admin's refusals; English stays as it was, and /api/ keeps its English error for scripts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../agent/helpers.js";
import { adminLogin, courseTree, hotspotOnLoopback, postForm } from "./helpers.js";

const BACKUP =
  `<?xml version="1.0"?><moodle_backup><information><original_course_fullname>Broken page</original_course_fullname>` +
  `<contents><activities><activity><moduleid>5</moduleid><sectionid>1</sectionid><modulename>page</modulename>` +
  `<title>Notes</title><directory>activities/page_5</directory></activity></activities>` +
  `<sections><section><sectionid>1</sectionid><title>One</title><directory>sections/section_1</directory></section></sections>` +
  `</contents></information></moodle_backup>`;

let dir: Awaited<ReturnType<typeof tempDir>>;
let server: Awaited<ReturnType<typeof hotspotOnLoopback>>;

beforeAll(async () => {
  dir = await tempDir("hc-error-lang-");
  const unreadable = await courseTree(dir.path, "unreadable", {
    "moodle_backup.xml": "<?xml version='1.0'?><moodle_backup><information>",
  });
  const brokenPage = await courseTree(dir.path, "broken-page", {
    "moodle_backup.xml": BACKUP,
    "sections/section_1/section.xml":
      "<section><number>1</number><name>One</name><sequence>5</sequence></section>",
    "activities/page_5/module.xml": "<module><modulename>page</modulename><visible>1</visible></module>",
    "activities/page_5/page.xml": "<activity><page><content>never closed",
  });
  server = await hotspotOnLoopback([unreadable, brokenPage]);
});
afterAll(async () => {
  await server?.close();
  await dir?.remove();
});

const page = async (path: string, lang: string, init: RequestInit = {}) => {
  const res = await fetch(`${server.url}${path}`, {
    ...init,
    headers: { ...(init.headers as Record<string, string>), "accept-language": lang },
  });
  const body = await res.text();
  return {
    status: res.status,
    lang: /<html lang="(\w+)">/.exec(body)?.[1],
    title: /<title>([^<]*)<\/title>/.exec(body)?.[1],
    said: /<p class="err" role="alert">([^<]*)<\/p>/.exec(body)?.[1],
    body,
  };
};

describe("error pages in the learner's language", () => {
  it("a course that is not there: 404 in Bahasa Indonesia, French and English", async () => {
    const id = await page("/c/nope", "id-ID,id;q=0.9");
    expect(id).toMatchObject({
      status: 404,
      lang: "id",
      title: "Kesalahan 404",
      said: "Kursus tidak ditemukan.",
    });
    expect(id.body).toContain('<a class="btn" href="/">Kembali ke daftar kursus</a>');
    expect(await page("/c/nope", "fr")).toMatchObject({
      status: 404,
      lang: "fr",
      said: "Ce cours n’existe pas.",
    });
    expect(await page("/c/nope", "en")).toMatchObject({
      status: 404,
      title: "Error 404",
      said: "No such course.",
    });
  });

  it("a page that no route knows: 404 in Bahasa Indonesia", async () => {
    expect(await page("/no/such/page", "id")).toMatchObject({ status: 404, said: "Tidak ditemukan." });
  });

  it("a backup that cannot be read: 422 in Bahasa Indonesia, with the reader's reason", async () => {
    const id = await page("/c/unreadable", "id");
    expect(id.status).toBe(422);
    expect(id.lang).toBe("id");
    expect(id.said).toMatch(
      /^Cadangan kursus ini tidak dapat ditampilkan \(.+\)\. Gunakan tombol Unduh sebagai gantinya\.$/,
    );
    const en = await page("/c/unreadable", "en");
    expect(en.said).toMatch(/^This course backup cannot be shown \(.+\)\. Use Download instead\.$/);
  });

  it("an activity whose XML is broken: 422 in Bahasa Indonesia", async () => {
    const id = await page("/c/broken-page/a/page_5", "id");
    expect(id.status).toBe(422);
    expect(id.said).toMatch(/^Aktivitas ini tidak dapat ditampilkan \(.*page\.xml.*\)\.$/);
    expect((await page("/c/broken-page/a/page_9", "id")).said).toBe("Aktivitas tidak ditemukan.");
  });

  it("the choice made with the switcher wins on an error page too", async () => {
    const chosen = await page("/c/nope", "id", { headers: { cookie: "hc_lang=fr" } });
    expect(chosen.said).toBe("Ce cours n’existe pas.");
    expect(chosen.body).toContain('<a lang="id" hreflang="id" href="/c/nope?lang=id">Bahasa Indonesia</a>');
  });

  it("/api/ keeps the English error for scripts, with the key and the learner's words", async () => {
    const res = await fetch(`${server.url}/api/no-such-thing`, { headers: { "accept-language": "id" } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: "Not found.",
      code: "error.notFound",
      message: "Tidak ditemukan.",
    });
  });

  it("a form that is not a form: 415 in French (the shared form reader's error)", async () => {
    const res = await page("/admin/login", "fr", {
      method: "POST",
      body: "{}",
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(415);
    expect(res.said).toBe("Un formulaire est attendu.");
  });
});

describe("the admin's refusals in the admin's language", () => {
  it("a wrong password and a bad network name, in Bahasa Indonesia", async () => {
    const wrong = await page("/admin/login", "id", postForm({ password: "not it" }));
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('<p class="err">Kata sandi salah.</p>');
    const { cookie, csrf } = await adminLogin(server.url, "correct horse battery");
    const badName = await page("/admin/networks", "id", postForm({ csrf, ssid: "x".repeat(33) }, cookie));
    expect(badName).toMatchObject({ status: 400, said: "Nama jaringan: 1 sampai 32 byte." });
    const badUrl = await page("/admin/master", "fr", postForm({ csrf, masterUrl: "ftp://x" }, cookie));
    expect(badUrl).toMatchObject({
      status: 400,
      said: "URL du serveur central\u00a0: elle doit commencer par http:// ou https://.",
    });
    const stale = await page("/admin/sync", "id", postForm({ csrf: "old" }, cookie));
    expect(stale).toMatchObject({
      status: 403,
      said: "Formulir sudah kedaluwarsa: muat ulang halaman admin.",
    });
  });

  it("the admin page's labels and its confirmation, in French", async () => {
    const { cookie, csrf } = await adminLogin(server.url, "correct horse battery");
    const saved = await fetch(
      `${server.url}/admin/networks`,
      postForm({ csrf, ssid: "Bureau", password: "12345678" }, cookie),
    );
    expect(saved.status).toBe(302);
    expect(saved.headers.get("location")).toBe("/admin?done=network-saved");
    const admin = await page("/admin?done=network-saved", "fr", { headers: { cookie } });
    expect(admin.body).toContain('<p class="ok">Réseau enregistré</p>');
    expect(admin.body).toContain("<li>Bureau (mot de passe enregistré)");
    expect(admin.body).toContain('<button class="btn" type="submit">Synchroniser maintenant</button>');
    expect(admin.body).toContain(
      "<label>Jeton de lecture (aucun pour ce serveur central\u00a0; un nouveau serveur central a besoin du sien)",
    );
    expect(admin.body).not.toMatch(/>(Sync now|Log out|Remove|Add|Save)</);
    const unknown = await page("/admin?done=%3Cb%3Ehi", "fr", { headers: { cookie } });
    expect(unknown.body).not.toContain('<p class="ok">');
  });
});

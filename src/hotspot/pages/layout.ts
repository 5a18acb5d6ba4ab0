// The frame of every hotspot page: mobile-first, one inline stylesheet, no scripts, no external
// assets, a few KB per page so a cheap Android phone on 2.4 GHz loads it at once.
// Everything interpolated goes through esc(); course HTML from backups is only placed
// inside pages served under a no-script Content-Security-Policy (see ../respond.ts).

export function esc(value: unknown): string {
  return String(value)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** URL path segment. */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return "?";
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export function formatDate(iso: string | Date | null | undefined): string {
  if (!iso) return "—";
  const d = typeof iso === "string" ? new Date(iso) : iso;
  if (Number.isNaN(d.getTime())) return "—";
  return d.toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

const CSS = `*{box-sizing:border-box}body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f23;background:#f4f5f2}
header{background:#23603a;color:#fff;padding:.8rem 1rem}header a{color:#fff}header h1{margin:0;font-size:1.25rem}
header p{margin:.2rem 0 0;font-size:.85rem;opacity:.9}main{max-width:44rem;margin:0 auto;padding:.75rem}
.card{background:#fff;border-radius:.5rem;padding:.8rem 1rem;margin:0 0 .75rem;box-shadow:0 1px 2px #0002}
.card h2{margin:0 0 .25rem;font-size:1.1rem}.meta{color:#555;font-size:.85rem;margin:0 0 .6rem}
.btn{display:inline-block;padding:.55rem .9rem;margin:.15rem .3rem .15rem 0;border-radius:.4rem;background:#23603a;color:#fff;text-decoration:none;font-weight:600;border:0;font-size:1rem}
.btn.alt{background:#e7ece6;color:#1b1f23}ul.list{list-style:none;margin:0;padding:0}ul.list li{padding:.5rem 0;border-top:1px solid #eee}
ul.list li:first-child{border-top:0}.tag{font-size:.75rem;background:#e7ece6;border-radius:.3rem;padding:.05rem .35rem;margin-right:.35rem;color:#333}
a{color:#1a5632}img,video{max-width:100%;height:auto}audio{width:100%}.content{overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .4rem;border-top:1px solid #eee;font-size:.9rem;vertical-align:top}
.state{font-weight:700}.err{color:#a11}.ok{color:#23603a}input{font-size:1rem;padding:.45rem;width:100%;margin:.2rem 0 .5rem;border:1px solid #bbb;border-radius:.3rem}
footer{text-align:center;font-size:.8rem;color:#666;padding:1rem}`;

export function layout(
  title: string,
  body: string,
  options: { subtitle?: string; back?: string } = {},
): string {
  const parts = [
    options.back ? `<a href="${esc(options.back)}">← back</a>` : "",
    options.subtitle ? esc(options.subtitle) : "",
  ].filter(Boolean);
  const sub = parts.length ? `<p>${parts.join(" · ")}</p>` : "";
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><style>${CSS}</style></head><body><header><h1>${esc(title)}</h1>${sub}</header><main>${body}</main><footer><a href="/">Courses</a> · <a href="/status">Status</a> · <a href="/admin">Admin</a></footer></body></html>`;
}

/** The page for an error status: plain text only, whatever the message holds. */
export function errorPage(status: number, message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${status}</title></head><body style="font-family:system-ui,sans-serif;padding:1rem"><h1>${status}</h1><p>${message.replace(/[<>&"]/g, "")}</p><p><a href="/">Back to the courses</a></p></body></html>`;
}

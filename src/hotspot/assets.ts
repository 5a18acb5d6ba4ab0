// The hotspot's one stylesheet, served under a URL holding its hash so phones keep it forever
// (Cache-Control: immutable) and fetch it again only when it changes.
import { createHash } from "node:crypto";
import Router from "@koa/router";

/** Mobile first: usable from 360 px wide, every tap target at least 48 px tall. */
const CSS = `*{box-sizing:border-box}body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f23;background:#f4f5f2}
header{background:#23603a;color:#fff;padding:.6rem 1rem}header a{color:#fff}header h1{margin:0;font-size:1.25rem;overflow-wrap:anywhere}
header p{margin:.2rem 0 0;font-size:.9rem;opacity:.95}header p a,footer a,nav.lang a{display:inline-flex;align-items:center;min-height:48px;min-width:48px;padding:0 .4rem}
main{max-width:44rem;margin:0 auto;padding:.75rem}
.card{background:#fff;border-radius:.5rem;padding:.8rem 1rem;margin:0 0 .75rem;box-shadow:0 1px 2px #0002}
.card h2{margin:0 0 .25rem;font-size:1.1rem}.meta{color:#555;font-size:.85rem;margin:0 0 .6rem}
.btn,button{display:inline-flex;align-items:center;min-height:48px;padding:.55rem .9rem;margin:.15rem .3rem .15rem 0;border-radius:.4rem;background:#23603a;color:#fff;text-decoration:none;font-weight:600;border:0;font-size:1rem}
.btn.alt{background:#e7ece6;color:#1b1f23}ul.list{list-style:none;margin:0;padding:0}ul.list li{border-top:1px solid #eee}
ul.list li:first-child{border-top:0}ul.list li>a{display:flex;align-items:center;min-height:48px;padding:.3rem 0}
.tag{font-size:.75rem;background:#e7ece6;border-radius:.3rem;padding:.05rem .35rem;margin-right:.35rem;color:#333}
a{color:#1a5632}img,video{max-width:100%;height:auto}audio{width:100%}.content{overflow-wrap:anywhere}.content table{display:block;overflow-x:auto}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .4rem;border-top:1px solid #eee;font-size:.9rem;vertical-align:top}
.state{font-weight:700}.err{color:#a11}.ok{color:#23603a}input,select,textarea{font-size:1rem;padding:.45rem;max-width:100%;min-height:48px;margin:.2rem 0 .5rem;border:1px solid #bbb;border-radius:.3rem}
input[type=text],input[type=password],input[type=number],textarea{width:100%}input[type=radio],input[type=checkbox]{min-height:auto;width:1.4rem;height:1.4rem;margin:0 .5rem 0 0}
label{display:block}label.choice,label.opt{display:flex;align-items:center;min-height:48px}.que{border-top:1px solid #ddd;padding:.6rem 0}
.visually-hidden{position:absolute;clip:rect(0 0 0 0);width:1px;height:1px;overflow:hidden}.outcome{background:#eef4ee;padding:.4rem .6rem;border-radius:.3rem}
.pager{display:flex;justify-content:space-between;gap:.5rem;flex-wrap:wrap}.letters{display:flex;flex-wrap:wrap;gap:.25rem}.letters a{display:inline-flex;justify-content:center;align-items:center;min-width:48px;min-height:48px;background:#e7ece6;border-radius:.3rem;text-decoration:none}
.post{border-left:3px solid #cdd;padding-left:.6rem;margin:.6rem 0}.post.reply{margin-left:1rem}math{font-size:1.1em}
li.subsection{border-left:3px solid #e7ece6;padding-left:.6rem}li.subsection h3{margin:.5rem 0 .2rem;font-size:1rem}
nav.lang{display:flex;flex-wrap:wrap;justify-content:center;font-size:.9rem}nav.lang strong{display:inline-flex;align-items:center;min-height:48px;padding:0 .4rem}
footer{text-align:center;font-size:.9rem;color:#666;padding:1rem}`;

const HASH = createHash("sha256").update(CSS).digest("hex").slice(0, 12);

/** Where pages link the stylesheet: a new URL for every new stylesheet. */
export const STYLESHEET_URL = `/assets/style-${HASH}.css`;

export function assetsRouter(): Router {
  const router = new Router();
  router.get(STYLESHEET_URL, (ctx) => {
    ctx.type = "text/css; charset=utf-8";
    ctx.set("Cache-Control", "public, max-age=31536000, immutable");
    ctx.set("X-Content-Type-Options", "nosniff");
    ctx.body = CSS;
  });
  return router;
}

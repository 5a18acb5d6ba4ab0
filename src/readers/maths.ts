// TeX in course text ($$…$$, \(…\), \[…\]) rendered to MathML on the Pi with temml, so a phone
// shows formulas with no script at all. Only text between tags is searched (never attributes,
// scripts, styles or code), and temml runs without `trust`, so TeX cannot add links or classes.
import temml from "temml";

/** Delimiters in the order they are tried; $$ and \[ \] are display maths. */
const MATHS = /\$\$([\s\S]+?)\$\$|\\\(([\s\S]+?)\\\)|\\\[([\s\S]+?)\\\]/g;
/** Elements whose text is not prose: never rendered inside. */
const SKIP = /^<(script|style|pre|code|textarea|math)\b/i;
const TAG = /(<!--[\s\S]*?-->|<[^>]*>)/;

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'", nbsp: " " };

/** The TeX as written: HTML escapes in the text run undone (`a &lt; b` is `a < b`). */
function unescapeHtml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === "#") {
      const code =
        name[1] === "x" || name[1] === "X" ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/** One formula as MathML; a TeX error shows the source in an <merror>, never throws. */
export function texToMathml(tex: string, display: boolean): string {
  return temml.renderToString(tex, {
    displayMode: display,
    throwOnError: false,
    trust: false,
    maxSize: [20, 20],
    maxExpand: 200,
  });
}

function renderRun(run: string): string {
  if (!run.includes("$$") && !run.includes("\\(") && !run.includes("\\[")) return run;
  return run.replace(MATHS, (_whole, dollars?: string, inline?: string, bracket?: string) => {
    const tex = unescapeHtml(dollars ?? inline ?? bracket ?? "");
    return texToMathml(tex, inline === undefined);
  });
}

/** Every TeX formula in the HTML's text replaced by MathML; everything else left as it was. */
export function renderMaths(html: string): string {
  if (!html.includes("$$") && !html.includes("\\(") && !html.includes("\\[")) return html;
  const parts = html.split(TAG);
  let skipping: string | null = null;
  let out = "";
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (i % 2 === 1) {
      // A tag: track entering and leaving elements whose text is left alone.
      const open = SKIP.exec(part);
      if (!skipping && open) skipping = open[1]!.toLowerCase();
      else if (skipping && new RegExp(`^</${skipping}\\s*>`, "i").test(part)) skipping = null;
      out += part;
    } else {
      out += skipping ? part : renderRun(part);
    }
  }
  return out;
}

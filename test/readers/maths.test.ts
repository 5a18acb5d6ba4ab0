// TeX in course text to MathML: the three delimiters, only in prose (never attributes, code or
// scripts), HTML escapes undone, and no TeX command that could add a link or run anything.
import { describe, expect, it } from "vitest";
import { renderMaths, texToMathml } from "../../src/readers/maths.js";

describe("renderMaths", () => {
  it("renders $$…$$ and \\[…\\] as display maths, \\(…\\) inline", () => {
    expect(renderMaths("<p>\\(a+b\\)</p>")).toBe(
      "<p><math><mrow><mi>a</mi><mo>+</mo><mi>b</mi></mrow></math></p>",
    );
    expect(renderMaths("$$x$$")).toBe(
      '<math display="block" class="tml-display" style="display:block math;"><mi>x</mi></math>',
    );
    expect(renderMaths("\\[y\\]")).toBe(
      '<math display="block" class="tml-display" style="display:block math;"><mi>y</mi></math>',
    );
  });

  it("reads TeX written with HTML escapes, as an editor stores a < b", () => {
    expect(renderMaths("\\(a &lt; b\\)")).toBe("<math><mrow><mi>a</mi><mo>&lt;</mo><mi>b</mi></mrow></math>");
  });

  it("leaves attributes, code, pre, scripts and text without TeX untouched", () => {
    const html =
      '<a title="$$x$$">link</a><code>$$c$$</code><pre>\\(p\\)</pre><script>var s = "$$s$$";</script><p>costs $5 and $6</p>';
    expect(renderMaths(html)).toBe(html);
  });

  it("shows a TeX error in place instead of throwing", () => {
    expect(renderMaths("<p>\\(\\frac{\\)</p>")).toContain('<span class="temml-error"');
  });

  it("never turns TeX into links, classes or styles from the course", () => {
    const out = texToMathml("\\href{javascript:alert(1)}{x} \\htmlClass{evil}{y}", false);
    expect(out).not.toContain("href=");
    expect(out).not.toContain('class="evil"');
  });
});

// Small SCORM packages made by the tests: a 2004 package of two SCOs whose pages use the runtime
// the way authoring tools do (find API_1484_11 in their own window, Initialize, read where the
// learner stopped, write location and suspend data, Commit, Terminate on unload), and manifests
// with whatever hrefs a test needs.

/** A SCO page that shows what it read on Initialize and saves its place when "Next" is tapped. */
export function sco2004Page(name: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${name}</title>
<script>
var API_1484_11 = null; // as wrappers declare it: the runtime must survive this
var api = window.API_1484_11;
</script></head><body>
<h1>${name}</h1><p id="found"></p><p id="location"></p><p id="suspend"></p><p id="entry"></p><p id="learner"></p>
<button id="next" type="button">Next</button>
<script>
var found = !!(window.API_1484_11 && window.API_1484_11.Initialize);
document.getElementById("found").textContent = found ? "API found" : "no API";
window.API_1484_11.Initialize("");
var page = Number(window.API_1484_11.GetValue("cmi.location") || "0");
document.getElementById("location").textContent = "location " + page;
document.getElementById("suspend").textContent = "suspend " + window.API_1484_11.GetValue("cmi.suspend_data");
document.getElementById("entry").textContent = "entry " + window.API_1484_11.GetValue("cmi.entry");
document.getElementById("learner").textContent = "learner " + window.API_1484_11.GetValue("cmi.learner_name");
document.getElementById("next").onclick = function () {
  page++;
  window.API_1484_11.SetValue("cmi.location", String(page));
  window.API_1484_11.SetValue("cmi.suspend_data", "visited=" + page);
  window.API_1484_11.SetValue("cmi.completion_status", page >= 2 ? "completed" : "incomplete");
  window.API_1484_11.SetValue("cmi.score.scaled", "0.5");
  window.API_1484_11.SetValue("cmi.score.raw", "5");
  window.API_1484_11.SetValue("cmi.session_time", "PT1M30S");
  window.API_1484_11.SetValue("cmi.exit", "suspend");
  document.getElementById("location").textContent = "location " + page;
  document.getElementById("next").textContent = window.API_1484_11.Commit("") === "true" ? "Saved" : "Not saved";
};
addEventListener("pagehide", function () { window.API_1484_11.Terminate(""); });
</script></body></html>`;
}

export interface ManifestItem {
  id: string;
  title: string;
  href: string;
  parameters?: string;
}

/** An imsmanifest.xml of the given version with one resource per item. */
export function manifest(version: "1.2" | "2004", title: string, items: ManifestItem[]): string {
  const ns =
    version === "2004"
      ? `xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"`
      : `xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2"`;
  const type = version === "2004" ? "adlcp:scormType" : "adlcp:scormtype";
  const schemaversion = version === "2004" ? "2004 4th Edition" : "1.2";
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
  return `<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="test.${version}" version="1" ${ns}>
  <metadata><schema>ADL SCORM</schema><schemaversion>${schemaversion}</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org"><title>${esc(title)}</title>
${items.map((i) => `      <item identifier="${esc(i.id)}" identifierref="r_${esc(i.id)}"${i.parameters ? ` parameters="${esc(i.parameters)}"` : ""}><title>${esc(i.title)}</title></item>`).join("\n")}
    </organization>
  </organizations>
  <resources>
${items.map((i) => `    <resource identifier="r_${esc(i.id)}" type="webcontent" ${type}="sco" href="${esc(i.href)}"><file href="${esc(i.href)}"/></resource>`).join("\n")}
  </resources>
</manifest>
`;
}

/** The files of a two-SCO SCORM 2004 package. */
export function twoScoPackage(): Record<string, string> {
  return {
    "imsmanifest.xml": manifest("2004", "Hand washing", [
      { id: "sco_wash", title: "Washing hands", href: "wash/index.html", parameters: "?lang=en" },
      { id: "sco_dry", title: "Drying hands", href: "dry/index.html" },
    ]),
    "wash/index.html": sco2004Page("Washing hands"),
    "dry/index.html": sco2004Page("Drying hands"),
  };
}

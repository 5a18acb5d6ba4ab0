// Hand-made IMS packages for the cases the corpus's cartridges do not have (its Canvas export has
// no organization, links, topics or quizzes): a Common Cartridge 1.3 with nested modules, a web
// link, a discussion topic, a QTI assessment of the five cartridge question profiles and three
// path tricks; and a plain IMS content package. Written as trees, as the agent installs courses.
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { PNG } from "pngjs";

async function writeTree(root: string, files: Record<string, string | Buffer>): Promise<string> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

/** A real 48×32 PNG (a blue block), so a browser shows it and a test can see that it loaded. */
function bluePng(): Buffer {
  const png = new PNG({ width: 48, height: 32 });
  for (let i = 0; i < png.data.length; i += 4) png.data.set([40, 110, 200, 255], i);
  return PNG.sync.write(png);
}

const item = (id: string, ref: string, title: string, extra = "") =>
  `<item identifier="${id}" identifierref="${ref}"${extra}><title>${title}</title></item>`;

const CC_MANIFEST = `<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="cc1" xmlns="http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1"
  xmlns:lomimscc="http://ltsc.ieee.org/xsd/imsccv1p3/LOM/manifest">
  <metadata><schema>IMS Common Cartridge</schema><schemaversion>1.3.0</schemaversion>
    <lomimscc:lom><lomimscc:general><lomimscc:title><lomimscc:string>Clean water</lomimscc:string></lomimscc:title></lomimscc:general></lomimscc:lom>
  </metadata>
  <organizations><organization identifier="org" structure="rooted-hierarchy"><item identifier="root">
    <item identifier="m1"><title>Week 1: Safe water</title>
      ${item("i1", "r_boil", "Why boil water")}
      <item identifier="f1"><title>Going further</title>
        ${item("i2", "r_link", "WHO guidance")}
        ${item("i3", "r_topic", "Share your ideas")}
      </item>
      ${item("i4", "r_hidden", "Teacher notes", ' isvisible="false"')}
    </item>
    <item identifier="m2"><title>Week 2: Check</title>
      ${item("i5", "r_quiz", "Water quiz")}
      ${item("i6", "r_poster", "Storage poster")}
      ${item("i7", "r_store", "Storing water")}
      ${item("i8", "r_climb", "Escape")}
      ${item("i9", "r_abs", "Absolute")}
      ${item("i10", "r_symlink", "Linked")}
    </item>
  </item></organization></organizations>
  <resources>
    <resource identifier="r_boil" type="webcontent" href="wiki_content/why-boil.html"><file href="wiki_content/why-boil.html"/></resource>
    <resource identifier="r_store" type="webcontent" href="wiki_content/storing.html"><file href="wiki_content/storing.html"/></resource>
    <resource identifier="r_hidden" type="webcontent" href="wiki_content/notes.html"><file href="wiki_content/notes.html"/></resource>
    <resource identifier="r_kettle" type="webcontent" href="web_resources/images/kettle.png"><file href="web_resources/images/kettle.png"/></resource>
    <resource identifier="r_poster" type="webcontent" href="web_resources/poster.pdf"><file href="web_resources/poster.pdf"/></resource>
    <resource identifier="r_link" type="imswl_xmlv1p3"><file href="links/who.xml"/></resource>
    <resource identifier="r_topic" type="imsdt_xmlv1p3"><file href="topics/ideas.xml"/><file href="topics/map.png"/></resource>
    <resource identifier="r_quiz" type="imsqti_xmlv1p2/imscc_xmlv1p3/assessment"><file href="quiz/assessment.xml"/></resource>
    <resource identifier="r_climb" type="webcontent" href="../outside.html"/>
    <resource identifier="r_abs" type="webcontent" href="/etc/passwd"/>
    <resource identifier="r_symlink" type="webcontent" href="linked.html"/>
  </resources>
</manifest>`;

const BOIL = `<!DOCTYPE html><html><head><title>Why boil</title><script>alert(1)</script></head>
<body><h2>Boil it</h2><p>Bring water to a rolling boil for one minute: \\(t \\ge 1\\).</p>
<img src="$IMS-CC-FILEBASE$/images/kettle.png" alt="A kettle">
<p><a href="storing.html#jugs">How to store it</a> · <a href="../../secret.txt">nowhere</a> ·
<a href="https://www.who.int/">WHO</a></p><script>document.title = "hacked"</script></body></html>`;

const QTI_ITEM = (
  ident: string,
  profile: string,
  question: string,
  response: string,
  processing: string,
  feedback = "",
) =>
  `<item ident="${ident}" title="${ident}"><itemmetadata><qtimetadata>
    <qtimetadatafield><fieldlabel>cc_profile</fieldlabel><fieldentry>${profile}</fieldentry></qtimetadatafield>
  </qtimetadata></itemmetadata>
  <presentation><material><mattext texttype="text/html">${question}</mattext></material>${response}</presentation>
  <resprocessing><outcomes><decvar varname="SCORE" vartype="Decimal" minvalue="0" maxvalue="100"/></outcomes>${processing}</resprocessing>${feedback}
  </item>`;

const choices = (cardinality: string, labels: [string, string][]) =>
  `<response_lid ident="resp" rcardinality="${cardinality}"><render_choice shuffle="No">${labels
    .map(
      ([id, t]) =>
        `<response_label ident="${id}"><material><mattext>${t}</mattext></material></response_label>`,
    )
    .join("")}</render_choice></response_lid>`;

const right = (condition: string, feedback = "") =>
  `<respcondition continue="No"><conditionvar>${condition}</conditionvar><setvar action="Set" varname="SCORE">100</setvar>${feedback}</respcondition>`;

const ASSESSMENT = `<?xml version="1.0" encoding="UTF-8"?>
<questestinterop xmlns="http://www.imsglobal.org/xsd/ims_qtiasiv1p2"><assessment ident="a1" title="Water quiz"><section ident="root_section">
${QTI_ITEM(
  "mc",
  "cc.multiple_choice.v0p1",
  "&lt;p&gt;Which water is safe to drink?&lt;/p&gt;",
  choices("Single", [
    ["A", "Boiled water"],
    ["B", "River water"],
    ["C", "Roof water"],
  ]),
  right(
    '<varequal respident="resp">A</varequal>',
    '<displayfeedback feedbacktype="Response" linkrefid="A_fb"/>',
  ),
  '<itemfeedback ident="A_fb"><material><mattext>Yes: boiling kills germs.</mattext></material></itemfeedback>',
)}
${QTI_ITEM(
  "tf",
  "cc.true_false.v0p1",
  "Boiling kills most germs.",
  choices("Single", [
    ["T", "True"],
    ["F", "False"],
  ]),
  right('<varequal respident="resp">T</varequal>'),
)}
${QTI_ITEM(
  "mr",
  "cc.multiple_response.v0p1",
  "Which containers keep water safe?",
  choices("Multiple", [
    ["a", "A covered jar"],
    ["b", "A clean jerrycan with a tap"],
    ["c", "An open bucket"],
  ]),
  right(
    '<and><varequal respident="resp">a</varequal><varequal respident="resp">b</varequal><not><varequal respident="resp">c</varequal></not></and>',
  ),
)}
${QTI_ITEM(
  "fib",
  "cc.fib.v0p1",
  "Boil water for at least ___ minute(s).",
  '<response_str ident="resp" rcardinality="Single"><render_fib><response_label ident="answer"/></render_fib></response_str>',
  right(
    '<varequal respident="resp" case="No">1</varequal><varequal respident="resp" case="No">one</varequal>',
  ),
)}
${QTI_ITEM(
  "essay",
  "cc.essay.v0p1",
  "How does your family store water?",
  '<response_str ident="resp" rcardinality="Single"><render_fib><response_label ident="answer" rshuffle="No"/></render_fib></response_str>',
  "",
)}
</section></assessment></questestinterop>`;

/** The cartridge tree, with the symlink trick pointing at `outside` (a file beside the tree). */
export async function writeCartridge(root: string, outside: string): Promise<string> {
  await writeTree(root, {
    "imsmanifest.xml": CC_MANIFEST,
    "wiki_content/why-boil.html": BOIL,
    "wiki_content/storing.html":
      '<html><head><title>Storing water</title></head><body><h2 id="jugs">Jugs</h2><p>Keep a lid on it.</p></body></html>',
    "wiki_content/notes.html": "<p>Only for teachers.</p>",
    "web_resources/images/kettle.png": bluePng(),
    "web_resources/poster.pdf": "%PDF-1.4 poster",
    "links/who.xml": `<?xml version="1.0" encoding="UTF-8"?><webLink xmlns="http://www.imsglobal.org/xsd/imsccv1p3/imswl_v1p3"><title>WHO guidance</title><url href="https://www.who.int/health-topics/drinking-water" target="_blank"/></webLink>`,
    "topics/ideas.xml": `<?xml version="1.0" encoding="UTF-8"?><topic xmlns="http://www.imsglobal.org/xsd/imsccv1p3/imsdt_v1p3"><title>Share your ideas</title><text texttype="text/html">&lt;p&gt;How do you keep water clean at home? &lt;img src="$IMS-CC-FILEBASE$/map.png" alt="map"&gt;&lt;/p&gt;</text><attachments><attachment href="map.png"/></attachments></topic>`,
    "topics/map.png": "PNG",
    "quiz/assessment.xml": ASSESSMENT,
  });
  await writeFile(outside, "secret outside the course");
  await symlink(outside, join(root, "linked.html"));
  return root;
}

/** A plain IMS content package (IMS CP 1.1.4): an organization of pages, one nested. */
export async function writeContentPackage(root: string): Promise<string> {
  return writeTree(root, {
    "imsmanifest.xml": `<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="cp" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1">
  <metadata><schema>IMS Content</schema><schemaversion>1.1.4</schemaversion></metadata>
  <organizations default="toc"><organization identifier="toc"><title>Hand washing</title>
    ${item("p1", "r1", "When to wash")}
    <item identifier="p2" identifierref="r2"><title>How to wash</title>${item("p3", "r3", "Soap or ash")}</item>
  </organization></organizations>
  <resources>
    <resource identifier="r1" type="webcontent" href="when.html"><file href="when.html"/></resource>
    <resource identifier="r2" type="webcontent" href="how/index.html"><file href="how/index.html"/><file href="how/steps.png"/></resource>
    <resource identifier="r3" type="webcontent" href="how/soap.html"><file href="how/soap.html"/></resource>
  </resources>
</manifest>`,
    "when.html": "<html><body><p>Before eating and after the toilet.</p></body></html>",
    "how/index.html":
      '<html><body><p>Twenty seconds.</p><img src="steps.png" alt="Steps"><a href="../when.html">When?</a></body></html>',
    "how/steps.png": "PNG",
    "how/soap.html": "<html><body><p>Ash works when there is no soap.</p></body></html>",
  });
}

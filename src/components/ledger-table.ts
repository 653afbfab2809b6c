// The ledger page's HTML: the table of claims (ledger.ts rows) with each verdict as a data attribute
// (the browser test reads them), and the list of rules.
import type { LedgerRow } from "./ledger.js";
import { CLAIMS } from "./ledger.js";
import { pageHref } from "./page-href.js";

const cell = (tag: "td" | "th", text: string) => Object.assign(document.createElement(tag), { textContent: text });

/** One row per claim: paper, claim (linking to its chart), the paper's number, kick's number, verdict and why. */
export function ledgerTable(rows: readonly LedgerRow[]): HTMLTableElement {
  const table = document.createElement("table");
  table.className = "kick-ledger";
  const head = table.createTHead().insertRow();
  for (const h of ["Paper", "Claim", "Paper's number", "kick's number [95% interval]", "Verdict", "Why"]) head.append(cell("th", h));
  const body = table.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    tr.dataset.claim = r.id;
    tr.dataset.verdict = r.verdict;
    const link = Object.assign(document.createElement("a"), { href: pageHref(r.chart), textContent: r.claim });
    const claim = document.createElement("td");
    claim.append(link);
    const verdict = cell("td", r.verdict);
    verdict.className = `kick-verdict kick-verdict-${r.verdict.replaceAll(" ", "-")}`;
    tr.append(cell("td", r.paper), claim, cell("td", r.published), cell("td", r.kick), verdict, cell("td", r.why));
  }
  return table;
}

/** Every claim's rule, in words. */
export function ledgerRules(): HTMLElement {
  const list = document.createElement("dl");
  list.className = "kick-ledger-rules";
  for (const c of CLAIMS) list.append(Object.assign(document.createElement("dt"), { textContent: c.claim }), Object.assign(document.createElement("dd"), { textContent: c.rule }));
  return list;
}

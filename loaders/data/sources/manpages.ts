// Man pages as (document, summary) pairs: DESCRIPTION section text and the NAME line's
// one-line description. Only pages whose SPDX tag is a permissive licence are used.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { debRoot } from "./debs.js";
import { DEBS } from "./pins.js";

const OK_LICENCES = /^(Linux-man-pages-copyleft|BSD-[234]-Clause(-UC)?|MIT)$/;

export interface ManPage {
  id: string;
  licence: string;
  name: string;
  summary: string;
  description: string;
}

/** Strip roff: macros become their text, font escapes vanish, comments and directives go. */
export function roffToText(lines: string[]): string {
  const out: string[] = [];
  for (let l of lines) {
    if (l.startsWith(".\\\"") || l.startsWith("'\\\"")) continue;
    if (/^\.(PP|P|LP|sp|br|RS|RE|in|nf|fi|ad|na|ne|TP|IP|HP|TS|TE|EX|EE|UR|UE|MT|ME|ft|ti|ll|ce|\s*$)\b/.test(l)) {
      const m = /^\.IP\s+(.*)$/.exec(l);
      out.push(m ? m[1].replace(/"/g, "") : "\n");
      continue;
    }
    const mac = /^\.(B|I|BR|RB|IR|RI|BI|IB|SM|SB)\s+(.*)$/.exec(l);
    if (mac) l = mac[2].match(/"[^"]*"|\S+/g)?.map((t) => t.replace(/^"|"$/g, "")).join(["B", "I", "SM", "SB"].includes(mac[1]) ? " " : "") ?? "";
    else if (l.startsWith(".")) continue;
    out.push(l);
  }
  return out
    .join("\n")
    .replace(/\\f(\[[^\]]*\]|\(..|.)/g, "")
    .replace(/\\\(em/g, "\u2014").replace(/\\\(en/g, "\u2013").replace(/\\\((lq|rq|dq)/g, '"').replace(/\\\(aq/g, "'")
    .replace(/\\-/g, "-").replace(/\\e/g, "\\").replace(/\\&/g, "").replace(/\\ /g, " ").replace(/\\[|^]/g, "")
    .replace(/\\\*\(?[A-Za-z]*/g, "")
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s+/g, " ").trim())
    .filter(Boolean)
    .join("\n\n");
}

export function readManPages(): ManPage[] {
  const out: ManPage[] = [];
  for (const pin of [DEBS.manpages, DEBS.manpagesDev]) {
    const base = join(debRoot(pin), "usr/share/man");
    for (const sec of readdirSync(base).filter((d) => /^man\d$/.test(d)).sort()) {
      for (const f of readdirSync(join(base, sec)).sort()) {
        if (!f.endsWith(".gz")) continue;
        const src = gunzipSync(readFileSync(join(base, sec, f))).toString("utf8");
        const lic = /SPDX-License-Identifier:\s*(\S+)/.exec(src)?.[1];
        if (!lic || !OK_LICENCES.test(lic)) continue;
        const lines = src.split("\n");
        const sect = (name: string) => {
          const i = lines.findIndex((l) => new RegExp(`^\\.SH\\s+"?${name}"?\\s*$`).test(l));
          if (i < 0) return [];
          const j = lines.findIndex((l, k) => k > i && l.startsWith(".SH"));
          return lines.slice(i + 1, j < 0 ? undefined : j);
        };
        const nameLine = roffToText(sect("NAME")).replace(/\n/g, " ");
        const m = /^(.*?)\s+-\s+(.*)$/.exec(nameLine);
        const description = roffToText(sect("DESCRIPTION"));
        if (!m || description.length < 200) continue;
        out.push({ id: `${pin.name}/${sec}/${f.replace(/\.gz$/, "")}`, licence: lic, name: m[1], summary: m[2], description });
      }
    }
  }
  return out;
}

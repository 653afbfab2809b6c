// What a figure's PDF draws, read without a PDF library (none is a dependency): the page size, the
// text its text operators show and what its page paints. It reads the uncompressed files jsPDF writes
// (figure-pdf.ts): objects as text, text in literal strings for standard fonts or glyph ids mapped back
// to characters through each embedded font's /ToUnicode table. Anything else is an error, not a guess.

export interface PdfDrawing {
  pages: number;
  /** [x0, y0, x1, y1] of the first page, in points. */
  mediaBox: number[];
  /** Each shown string of the first page, in drawing order. */
  texts: string[];
  /** Path-painting operators (stroke S, fill f, fill-and-stroke B…) in the first page. */
  paints: number;
  /** Image XObjects in the file and XObjects painted (Do) by the first page. */
  images: number;
  xobjectsPainted: number;
}

const reference = (body: string, key: string): number | null => {
  const m = new RegExp(`/${key}\\s+(\\d+)\\s+0\\s+R`).exec(body);
  return m ? Number(m[1]) : null;
};

const streamOf = (body: string): string => {
  const m = /stream\r?\n([\s\S]*?)\r?\nendstream/.exec(body);
  if (!m) throw new Error("pdf-drawing: object has no stream");
  if (/\/Filter/.test(body.slice(0, body.indexOf("stream")))) throw new Error("pdf-drawing: compressed stream; only uncompressed PDFs are read");
  return m[1];
};

const literal = (s: string) =>
  s.replace(/\\([nrtbf()\\]|[0-7]{1,3})/g, (_, e: string) =>
    /^[0-7]/.test(e) ? String.fromCharCode(parseInt(e, 8)) : ({ n: "\n", r: "\r", t: "\t", b: "\b", f: "\f" } as Record<string, string>)[e] ?? e,
  );

/** Glyph id (4 hex digits) → text, from a /ToUnicode CMap's bfchar entries. */
function toUnicode(cmap: string): Map<string, string> {
  if (/beginbfrange/.test(cmap)) throw new Error("pdf-drawing: bfrange in a ToUnicode CMap is not read");
  const map = new Map<string, string>();
  for (const block of cmap.matchAll(/beginbfchar([\s\S]*?)endbfchar/g))
    for (const [, glyph, unicode] of block[1].matchAll(/<([0-9a-fA-F]{4})>\s*<([0-9a-fA-F]+)>/g))
      map.set(glyph.toLowerCase(), String.fromCharCode(...unicode.match(/.{4}/g)!.map((h) => parseInt(h, 16))));
  return map;
}

export function pdfDrawing(bytes: Buffer): PdfDrawing {
  const file = bytes.toString("latin1");
  if (!file.startsWith("%PDF-")) throw new Error("pdf-drawing: not a PDF (no %PDF- header)");
  const objects = new Map<number, string>();
  for (const m of file.matchAll(/(\d+) 0 obj\s*([\s\S]*?)\bendobj/g)) objects.set(Number(m[1]), m[2]);
  const pageBodies = [...objects.values()].filter((b) => /\/Type\s*\/Page\b(?!s)/.test(b));
  if (!pageBodies.length) throw new Error("pdf-drawing: no page");
  const page = pageBodies[0];
  const mediaBox = /\/MediaBox\s*\[([^\]]*)\]/.exec(page)![1].trim().split(/\s+/).map(Number);
  const contents = reference(page, "Contents");
  if (contents === null) throw new Error("pdf-drawing: the page has no /Contents reference");
  const content = streamOf(objects.get(contents)!);

  const resourcesRef = reference(page, "Resources");
  const resources = resourcesRef === null ? page : objects.get(resourcesRef)!;
  const fontDict = /\/Font\s*<<([\s\S]*?)>>/.exec(resources)?.[1] ?? "";
  const fonts = new Map<string, Map<string, string> | null>();
  for (const [, name, object] of fontDict.matchAll(/\/([\w.+-]+)\s+(\d+)\s+0\s+R/g)) {
    const cmap = reference(objects.get(Number(object))!, "ToUnicode");
    fonts.set(name, cmap === null ? null : toUnicode(streamOf(objects.get(cmap)!)));
  }

  const texts: string[] = [];
  let font: Map<string, string> | null = null;
  for (const m of content.matchAll(/\/([\w.+-]+)\s+[\d.]+\s+Tf|<([0-9a-fA-F]*)>\s*Tj|\(((?:\\[\s\S]|[^\\)])*)\)\s*Tj/g)) {
    if (m[1] !== undefined) {
      if (!fonts.has(m[1])) throw new Error(`pdf-drawing: font /${m[1]} is not in the page's resources`);
      font = fonts.get(m[1])!;
    } else if (m[2] !== undefined) {
      if (!font) throw new Error("pdf-drawing: hex text in a font without a ToUnicode table");
      const map = font;
      texts.push((m[2].toLowerCase().match(/.{4}/g) ?? []).map((g) => map.get(g) ?? "\uFFFD").join(""));
    } else texts.push(literal(m[3]));
  }
  return {
    pages: pageBodies.length,
    mediaBox,
    texts,
    paints: [...content.matchAll(/(?:^|\s)(S|s|f|F|f\*|B|B\*|b|b\*)(?=\s|$)/g)].length,
    images: [...objects.values()].filter((b) => /\/Subtype\s*\/Image/.test(b)).length,
    xobjectsPainted: [...content.matchAll(/\/[\w.+-]+\s+Do\b/g)].length,
  };
}

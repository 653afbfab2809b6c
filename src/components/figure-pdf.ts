// A figure's PDF as vector drawing: the framed SVG of the view (figure-frame.ts) translated path by
// path and text by text by svg2pdf.js into a jsPDF page of the figure's size (1 CSS px = 0.75 pt), so
// lines stay sharp at any zoom and the title, controls, source line and axis labels stay text a reader
// can select and search. Text is set in DejaVu Sans, embedded (the glyphs used): PDF's standard fonts
// cannot encode Plot's "↑" axis arrows or "−" minus. The library and fonts (~2.5 MB) load on the first
// PDF download, not with the page.
/** Points per CSS pixel: CSS px are 1/96 in, PDF points 1/72 in. */
export const PT_PER_PX = 0.75;

const FONT = "DejaVu Sans";
/** As a font-family list names it. */
const FAMILY = `"${FONT}"`;

/** The PDF of a standalone SVG file's text: the SVG download's own bytes, so both files draw alike. */
export async function vectorPdfBlob(svgFile: string): Promise<Blob> {
  const { jsPDF, svg2pdf, dejaVuSans, dejaVuSansBold } = await import("./vendor/pdf.js");
  const svg = new DOMParser().parseFromString(svgFile, "image/svg+xml").documentElement as unknown as SVGSVGElement;
  for (const element of [svg, ...svg.querySelectorAll("*")] as SVGElement[]) {
    // svg2pdf sets each text in the first family of its font-family list that the PDF has: put ours first.
    const family = element.getAttribute("font-family");
    if (family) element.setAttribute("font-family", `${FAMILY}, ${family}`);
    const cssFamily = element.style.getPropertyValue("font-family");
    if (cssFamily) element.style.setProperty("font-family", `${FAMILY}, ${cssFamily}`);
    // Plot's stylesheet gives its <svg> "height: auto" (responsive on the page); svg2pdf reads CSS before
    // attributes and cannot resolve "auto", so each <svg> gets its own size as an inline style.
    if (element.tagName === "svg") for (const key of ["width", "height"]) element.style.setProperty(key, `${element.getAttribute(key)}px`);
  }
  const width = Number(svg.getAttribute("width")) * PT_PER_PX;
  const height = Number(svg.getAttribute("height")) * PT_PER_PX;
  if (!(width > 0 && height > 0)) throw new Error("vectorPdfBlob: the figure's <svg> needs numeric width and height attributes");
  // Left uncompressed (jsPDF's default): a file is a few hundred kB, and its text stays inspectable.
  const pdf = new jsPDF({ unit: "pt", format: [width, height], orientation: width > height ? "landscape" : "portrait", putOnlyUsedFonts: true });
  pdf.addFileToVFS("DejaVuSans.ttf", dejaVuSans);
  pdf.addFont("DejaVuSans.ttf", FONT, "normal");
  pdf.addFileToVFS("DejaVuSans-Bold.ttf", dejaVuSansBold);
  pdf.addFont("DejaVuSans-Bold.ttf", FONT, "bold");
  pdf.setProperties({
    title: svg.querySelector("title")?.textContent ?? "",
    subject: svg.querySelector('[data-frame="source"]')?.textContent ?? "",
    creator: "kick",
  });
  await svg2pdf(svg, pdf, { x: 0, y: 0, width, height });
  return pdf.output("blob");
}

// A one-page PDF holding one JPEG image, page size = the figure's CSS size (1 px = 0.75 pt). The
// browser has no PDF writer and the site's dependencies none that draws SVG as vector PDF (svg2pdf.js
// + jsPDF would be a new dependency), so a figure's PDF is its high-resolution raster: JPEG bytes go
// into the file as they are (DCTDecode), which needs no compression code of our own.

const encoder = new TextEncoder();

/** A PDF text string that survives any characters: UTF-16BE with a byte-order mark, as hex. */
function pdfText(text: string): string {
  let hex = "FEFF";
  for (let i = 0; i < text.length; i++) hex += text.charCodeAt(i).toString(16).padStart(4, "0").toUpperCase();
  return `<${hex}>`;
}

export interface PdfImage {
  /** JPEG file bytes (baseline or progressive, RGB). */
  jpeg: Uint8Array;
  /** Pixel size of the JPEG. */
  pixelWidth: number;
  pixelHeight: number;
  /** The figure's size in CSS px; the page is this size in points × 0.75. */
  width: number;
  height: number;
  title: string;
  /** Shown as the PDF's subject (the figure's source line). */
  subject?: string;
}

export function imagePdf({ jpeg, pixelWidth, pixelHeight, width, height, title, subject = "" }: PdfImage): Uint8Array {
  const w = +(width * 0.75).toFixed(2), h = +(height * 0.75).toFixed(2);
  const content = `q ${w} 0 0 ${h} 0 0 cm /Im0 Do Q`;
  const objects: (string | Uint8Array)[][] = [
    ["<< /Type /Catalog /Pages 2 0 R >>"],
    ["<< /Type /Pages /Kids [3 0 R] /Count 1 >>"],
    [`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${w} ${h}] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>`],
    [`<< /Type /XObject /Subtype /Image /Width ${pixelWidth} /Height ${pixelHeight} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length ${jpeg.length} >>\nstream\n`, jpeg, "\nendstream"],
    [`<< /Length ${content.length} >>\nstream\n${content}\nendstream`],
    [`<< /Title ${pdfText(title)} /Subject ${pdfText(subject)} /Producer (kick) >>`],
  ];
  const parts: Uint8Array[] = [];
  let length = 0;
  const push = (piece: string | Uint8Array) => {
    const bytes = typeof piece === "string" ? encoder.encode(piece) : piece;
    parts.push(bytes);
    length += bytes.length;
  };
  // The binary comment line tells tools the file holds 8-bit data.
  push("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n");
  const offsets: number[] = [];
  objects.forEach((pieces, i) => {
    offsets.push(length);
    push(`${i + 1} 0 obj\n`);
    pieces.forEach(push);
    push("\nendobj\n");
  });
  const xref = length;
  push(`xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("")}`);
  push(`trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info ${objects.length} 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
}

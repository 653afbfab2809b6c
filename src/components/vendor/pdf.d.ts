// Types for the jsPDF + svg2pdf.js bundle that scripts/vendor-browser-libs.mjs writes here.
export { jsPDF } from "jspdf";
export { svg2pdf } from "svg2pdf.js";
/** DejaVu Sans and DejaVu Sans Bold, TrueType files as base64. */
export const dejaVuSans: string;
export const dejaVuSansBold: string;

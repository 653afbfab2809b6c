// The site's page URLs end in .html (observablehq.config.ts: preserveExtension), so any static server,
// the README's `python3 -m http.server -d dist` too, serves them. Framework rewrites the links it sees in
// a page's Markdown and HTML; links a page builds at run time come from here.
export function pageHref(path: string, root = "./"): string {
  return `${root}${path}.html`;
}

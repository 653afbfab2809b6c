// Download links for a chart's figure files, which loaders render server-side to stable URLs
// (figures/<name>.svg and .png under the site root, listed in observablehq.config.ts dynamicPaths).
// `root` is the page's relative path to the site root ("./" at top level, "../" one folder down),
// so the links work wherever the site is hosted.
export function figureLinks(name: string, root = "./", formats: readonly string[] = ["svg", "png"]): HTMLElement {
  const nav = document.createElement("p");
  nav.className = "kick-figure-links";
  nav.append("Download figure: ");
  formats.forEach((format, i) => {
    const link = document.createElement("a");
    link.href = `${root}figures/${name}.${format}`;
    link.download = `${name}.${format}`;
    link.textContent = format.toUpperCase();
    if (i > 0) nav.append(" · ");
    nav.append(link);
  });
  return nav;
}

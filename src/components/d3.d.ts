// d3 ships no types and @types/d3 is not a dependency: the functions the site and its tests use from it.
declare module "d3" {
  export function csvFormat(rows: readonly object[], columns?: readonly string[]): string;
  export function csvParse(text: string): Record<string, string>[] & { columns: string[] };
}

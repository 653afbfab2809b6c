// Reading the files of a public dataset for `kick tasks import`: JSON, JSON lines, CSV and Parquet (both
// through DuckDB, which handles quoting, multi-line cells and nested Parquet columns), and the checked field
// access every format uses, so that a malformed file fails naming the file, the row and the field.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { sqlString, withDuckDB } from "../../store/parquet.js";

/** A dataset file that does not have the layout its format promises. */
export class ImportError extends Error {
  constructor(file: string, where: string, message: string) {
    super(`${file}: ${where}: ${message}`);
    this.name = "ImportError";
  }
}

/** One record of a source file and where it came from, for error messages ("row 3", "Data[12]"). */
export interface SourceRecord {
  file: string;
  where: string;
  value: unknown;
}

const kind = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "a list" : typeof v);

/** A record's field, checked: a string (numbers from CSV/Parquet are not accepted silently). */
export function str(r: SourceRecord, field: string, { optional = false, nonEmpty = true } = {}): string {
  const v = fieldOf(r, field);
  if (v === undefined && optional) return "";
  if (typeof v !== "string") throw new ImportError(r.file, r.where, `field "${field}": expected a string, got ${kind(v)}`);
  if (nonEmpty && v.trim() === "") throw new ImportError(r.file, r.where, `field "${field}": empty`);
  return v;
}

/** A list of strings (Parquet LIST or JSON array). */
export function strList(r: SourceRecord, field: string, { optional = false } = {}): string[] {
  const v = fieldOf(r, field);
  if (v === undefined || v === null) {
    if (optional) return [];
    throw new ImportError(r.file, r.where, `field "${field}": missing`);
  }
  if (!Array.isArray(v)) throw new ImportError(r.file, r.where, `field "${field}": expected a list of strings, got ${kind(v)}`);
  v.forEach((x, i) => {
    if (typeof x !== "string") throw new ImportError(r.file, r.where, `field "${field}[${i}]": expected a string, got ${kind(x)}`);
  });
  return v as string[];
}

/** A list of records (JSON arrays of objects), each located as `field[i]` inside `r`. */
export function records(r: SourceRecord, field: string, { optional = false } = {}): SourceRecord[] {
  const v = fieldOf(r, field);
  if ((v === undefined || v === null) && optional) return [];
  if (!Array.isArray(v)) throw new ImportError(r.file, r.where, `field "${field}": expected a list, got ${kind(v)}`);
  return v.map((value, i) => {
    if (!value || typeof value !== "object" || Array.isArray(value)) throw new ImportError(r.file, r.where, `field "${field}[${i}]": expected an object, got ${kind(value)}`);
    return { file: r.file, where: `${r.where}.${field}[${i}]`, value };
  });
}

/** A nested object, located as `where.field`. */
export function child(r: SourceRecord, field: string): SourceRecord {
  const v = fieldOf(r, field);
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new ImportError(r.file, r.where, `field "${field}": expected an object, got ${kind(v)}`);
  return { file: r.file, where: `${r.where}.${field}`, value: v };
}

/** An integer field (Parquet INT64 arrives as bigint). */
export function int(r: SourceRecord, field: string): number {
  const v = fieldOf(r, field);
  const n = typeof v === "bigint" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n)) throw new ImportError(r.file, r.where, `field "${field}": expected an integer, got ${kind(v)} ${JSON.stringify(typeof v === "bigint" ? String(v) : v)}`);
  return n;
}

export function has(r: SourceRecord, field: string): boolean {
  const v = fieldOf(r, field);
  return v !== undefined && v !== null;
}

function fieldOf(r: SourceRecord, field: string): unknown {
  if (!r.value || typeof r.value !== "object" || Array.isArray(r.value)) throw new ImportError(r.file, r.where, `expected an object, got ${kind(r.value)}`);
  return (r.value as Record<string, unknown>)[field];
}

/** A whole JSON file as one record. */
export function readJson(file: string): SourceRecord {
  try {
    return { file, where: "(file)", value: JSON.parse(readFileSync(file, "utf8")) };
  } catch (e) {
    throw new ImportError(file, "(file)", `not valid JSON (${(e as Error).message})`);
  }
}

/** A JSON-lines file, one record per non-empty line ("line N"). */
export function readJsonl(file: string): SourceRecord[] {
  const out: SourceRecord[] = [];
  readFileSync(file, "utf8").split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      out.push({ file, where: `line ${i + 1}`, value: JSON.parse(line) });
    } catch (e) {
      throw new ImportError(file, `line ${i + 1}`, `not valid JSON (${(e as Error).message})`);
    }
  });
  return out;
}

/** A Parquet file's rows ("row N", 1-based). */
export async function readParquetRecords(file: string): Promise<SourceRecord[]> {
  const rows = await duck(file, `SELECT * FROM read_parquet(${sqlString(file)})`, "not a readable Parquet file");
  return rows.map((value, i) => ({ file, where: `row ${i + 1}`, value }));
}

/**
 * A CSV file's rows as text cells. `columns` names them for a headerless file (MMLU's); without it the
 * header row names them (CNN/DailyMail's). "row N" counts data rows from 1. Quoted cells may span lines.
 */
export async function readCsvRecords(file: string, columns?: readonly string[]): Promise<SourceRecord[]> {
  const opts = columns
    ? `header = false, columns = {${columns.map((c) => `${sqlString(c)}: 'VARCHAR'`).join(", ")}}, auto_detect = false`
    : "header = true, all_varchar = true";
  const rows = await duck(file, `SELECT * FROM read_csv(${sqlString(file)}, ${opts}, delim = ',', quote = '"', escape = '"', strict_mode = true, null_padding = false)`, "not a readable CSV file");
  return rows.map((value, i) => ({ file, where: `row ${i + 1}`, value }));
}

async function duck(file: string, sql: string, what: string): Promise<Record<string, unknown>[]> {
  try {
    return await withDuckDB((run) => run(sql));
  } catch (e) {
    throw new ImportError(file, "(file)", `${what} (${(e as Error).message.split("\n")[0]})`);
  }
}

/** `src` itself if it is a file, else every file under it ending in one of `exts`, sorted (deterministic ids). */
export function inputFiles(src: string, exts: readonly string[]): string[] {
  let st;
  try {
    st = statSync(src);
  } catch {
    throw new Error(`${src}: no such file or folder`);
  }
  if (st.isFile()) return [src];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (exts.some((e) => name.endsWith(e))) out.push(p);
    }
  };
  walk(src);
  if (out.length === 0) throw new Error(`${src}: no ${exts.join(" or ")} files in this folder`);
  return out;
}

/** The split a Hugging Face Parquet/CSV file holds, from its name ("test-00000-of-00001.parquet" → "test"). */
export const hfSplitOf = (file: string): string => basename(file).replace(/[-.].*$/, "");

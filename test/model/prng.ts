/** Seeded randomness for the fuzz tests (reproducible failures). */
import { mulberry32 } from "../../loaders/model/generate.js";

export const prng = mulberry32;

export function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)];
}

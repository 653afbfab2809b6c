// One colour per method, model and setting (src/components/palette.ts): a series keeps its colour
// whatever else a chart shows, no two methods share one, and a method's variants keep its hue.
import { describe, expect, it } from "vitest";
import { METHOD_COLORS, colorOf, colorScale, shade } from "../../src/components/palette.js";

describe("palette", () => {
  it("gives a series the same colour whatever the other series of the chart are", () => {
    const a = colorScale(["dense", "wanda 50%", "sparsegpt 50%"]);
    const b = colorScale(["sparsegpt 50%", "magnitude 50%"]);
    expect(a.range[2]).toBe(b.range[0]);
    expect(colorOf("unknown series")).toBe(colorOf("unknown series"));
  });
  it("gives every method its own colour", () => {
    const colours = Object.values(METHOD_COLORS);
    expect(new Set(colours).size).toBe(colours.length);
    for (const m of ["magnitude", "wanda", "sparsegpt", "rtn", "gptq", "awq"]) expect(colorOf(m)).toBe(METHOD_COLORS[m]);
  });
  it("shades a method's variants from its hue, darker with stronger compression", () => {
    expect(colorOf("sparsegpt 50%")).toBe(METHOD_COLORS.sparsegpt);
    const light = colorOf("sparsegpt 30%"), dark = colorOf("sparsegpt 70%");
    const lum = (hex: string) => [1, 3, 5].reduce((s, i) => s + parseInt(hex.slice(i, i + 2), 16), 0);
    expect(lum(light)).toBeGreaterThan(lum(METHOD_COLORS.sparsegpt));
    expect(lum(dark)).toBeLessThan(lum(METHOD_COLORS.sparsegpt));
    expect(colorOf("wanda 70%")).not.toBe(colorOf("magnitude 70%"));
    // soft-prompt labels carry the model before the variant
    expect(colorOf("kick-l · gptq 4-bit g128")).toBe(colorOf("gptq 4-bit g128"));
  });
  it("shade mixes towards black or white", () => {
    expect(shade("#808080", -1)).toBe("#000000");
    expect(shade("#808080", 1)).toBe("#ffffff");
    expect(shade("#1f77b4", 0)).toBe("#1f77b4");
  });
});

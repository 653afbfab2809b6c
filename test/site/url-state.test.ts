// A chart's controls in the page's address: read, written back, and a value the store does not offer named.
import { describe, expect, it } from "vitest";
import type { Control } from "../../src/components/report-controls.js";
import { readView, rejectedMessage, writeView } from "../../src/components/url-state.js";
import { resolveParams } from "../../src/components/report-controls.js";

const controls: Control[] = [
  { key: "model", label: "Model", options: () => "models" },
  { key: "bits", label: "Bits", options: () => "bits", all: "(all)" },
];
const query = async (sql: string) => (sql === "models" ? [{ value: "kick-l" }, { value: "kick-s" }] : [{ value: 4 }, { value: 8 }]);

describe("url state", () => {
  it("reads only its own chart's keys, empty as (all), and names keys that are no control", () => {
    expect(readView("c", controls, "?c.model=kick-s&c.bits=&other.model=x&c.colour=red")).toEqual({ params: { model: "kick-s", bits: null }, unknown: ["colour"] });
  });

  it("writes its keys, keeping other charts' and dropping its stale ones", () => {
    expect(writeView("c", { model: "kick-s", bits: 8 }, "?other.model=x&c.old=1")).toBe("?other.model=x&c.model=kick-s&c.bits=8");
    expect(writeView("c", { model: "kick-s", bits: null }, "")).toBe("?c.model=kick-s&c.bits=");
  });

  it("restores a written view, numbers included (a URL holds strings)", async () => {
    const search = writeView("c", { model: "kick-s", bits: 8 }, "");
    const given = readView("c", controls, search);
    const shown = await resolveParams(controls, query, given.params);
    expect(shown).toEqual({ model: "kick-s", bits: 8 });
    expect(await rejectedMessage("c", controls, given, shown, query)).toBeNull();
  });

  it("names a value that is not an option and what is shown instead, and an unknown key", async () => {
    const given = readView("c", controls, "?c.model=kick-xl&c.colour=red");
    const shown = await resolveParams(controls, query, given.params);
    expect(shown.model).toBe("kick-l");
    expect(await rejectedMessage("c", controls, given, shown, query)).toBe(
      'This page\'s address asks for a view it cannot show: c.model="kick-xl" is not an option of Model here (options: kick-l, kick-s); showing kick-l; ' +
        "c.colour is not a control of this chart (controls: model, bits); ignored.",
    );
  });
});

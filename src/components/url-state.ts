// A chart's controls in the page's address, so a shared link restores the view: one query parameter
// per control, `<chart>.<control>=<value>` (`?bits-vs-score.task=mcq&bits-vs-score.metric=loglik_accuracy`),
// "(all)" as an empty value. A value the store does not offer, or a key that is no control of the
// chart, is named in a warning inside the controls, and the chart falls back to its default.
import { controlPanel, optionsFor, sameValue, type Control, type Params, type Query } from "./report-controls.js";

export interface UrlView {
  params: Params;
  /** Keys under the chart's prefix that are not its controls. */
  unknown: string[];
}

/** The chart's controls as given in `search` (a location.search string). */
export function readView(name: string, controls: readonly Control[], search: string): UrlView {
  const params: Params = {};
  const unknown: string[] = [];
  for (const [key, value] of new URLSearchParams(search)) {
    if (!key.startsWith(`${name}.`)) continue;
    const control = key.slice(name.length + 1);
    if (controls.some((c) => c.key === control)) params[control] = value === "" ? null : value;
    else unknown.push(control);
  }
  return { params, unknown };
}

/** `search` with the chart's controls set to `params` (other parameters kept). */
export function writeView(name: string, params: Params, search: string): string {
  const query = new URLSearchParams(search);
  for (const key of [...query.keys()]) if (key.startsWith(`${name}.`)) query.delete(key);
  for (const [key, value] of Object.entries(params)) query.set(`${name}.${key}`, value === null ? "" : String(value));
  const text = query.toString();
  return text ? `?${text}` : "";
}

/** The sentences saying which values of the address were not used, and what is shown instead. */
export async function rejectedMessage(name: string, controls: readonly Control[], given: UrlView, shown: Params, query: Query): Promise<string | null> {
  const problems: string[] = [];
  for (const control of controls) {
    const value = given.params[control.key];
    if (value === undefined || sameValue(shown[control.key], value)) continue;
    const options = await optionsFor(control, shown, query);
    const label = (v: unknown) => options.find((o) => o.value === v)?.label ?? String(v);
    problems.push(
      `${name}.${control.key}=${value === null ? "(all)" : JSON.stringify(value)} is not an option of ${control.label} here ` +
        `(options: ${options.map((o) => o.label).join(", ")}); showing ${label(shown[control.key])}`,
    );
  }
  for (const key of given.unknown) problems.push(`${name}.${key} is not a control of this chart (controls: ${controls.map((c) => c.key).join(", ")}); ignored`);
  return problems.length ? `This page's address asks for a view it cannot show: ${problems.join("; ")}.` : null;
}

/** `controlPanel` started from the address and writing every change back to it (history.replaceState). */
export async function urlControlPanel(controls: readonly Control[], query: Query, name: string): Promise<HTMLFormElement & { value: Params }> {
  const given = readView(name, controls, location.search);
  const form = await controlPanel(controls, query, given.params, name);
  const message = await rejectedMessage(name, controls, given, form.value, query);
  if (message) {
    const note = document.createElement("p");
    note.className = "warning kick-url-error";
    note.textContent = message;
    form.append(note);
  }
  form.addEventListener("input", () => {
    const search = writeView(name, form.value, location.search);
    history.replaceState(history.state, "", `${location.pathname}${search}${location.hash}`);
    form.querySelector(".kick-url-error")?.remove();
  });
  return form;
}

// Controls whose options come from the store by SQL, each depending on the ones before it (the
// methods a model has, the metrics of a task …). `resolveParams` picks the defaults; the page's
// `controlPanel` and the server-side figures (loaders/figures/report.ts) both use it, so a figure
// file shows exactly what the page shows before anyone touches a control.

export type Value = string | number | null;
export type Params = Record<string, Value>;
export type Query = (sql: string) => Promise<Record<string, unknown>[]>;

export interface Control {
  key: string;
  label: string;
  /** SQL returning a `value` column (and optionally `label`), given the controls before this one. */
  options: (params: Params) => string;
  /** Values to choose by default, first found wins; else the first option. */
  prefer?: (params: Params) => Value[];
  /** Label of an extra first option meaning "no filter" (value null). */
  all?: string;
  format?: (value: Value) => string;
}

export interface Option {
  value: Value;
  label: string;
}

const asValue = (v: unknown): Value => (v === null || v === undefined ? null : typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : String(v));

export async function optionsFor(control: Control, params: Params, query: Query): Promise<Option[]> {
  const rows = await query(control.options(params));
  const options = rows.map((r) => {
    const value = asValue(r.value);
    return { value, label: r.label !== undefined && r.label !== null ? String(r.label) : control.format ? control.format(value) : String(value) };
  });
  return control.all ? [{ value: null, label: control.all }, ...options] : options;
}

/** Whether an option's value is `given`; a value read from a URL is a string, so 4 matches "4". */
export const sameValue = (value: Value, given: Value) => value === given || (typeof given === "string" && value !== null && String(value) === given);

function pick(control: Control, options: readonly Option[], params: Params, current?: Value): Value {
  const given = current === undefined ? undefined : options.find((o) => sameValue(o.value, current));
  if (given) return given.value;
  for (const p of control.prefer?.(params) ?? []) if (options.some((o) => o.value === p)) return p;
  return options[0]?.value ?? null;
}

/** The controls' values: `given` where valid, else the defaults, in order. */
export async function resolveParams(controls: readonly Control[], query: Query, given: Params = {}): Promise<Params> {
  const params: Params = {};
  for (const control of controls) params[control.key] = pick(control, await optionsFor(control, params, query), params, given[control.key]);
  return params;
}

/**
 * A form of <select>s, one per control, usable with Framework's `view()`: its `value` is the
 * params object and it fires "input" when any control changes (after dependent options refresh).
 */
export async function controlPanel(controls: readonly Control[], query: Query, given: Params = {}, name = ""): Promise<HTMLFormElement & { value: Params }> {
  const form = document.createElement("form") as HTMLFormElement & { value: Params };
  form.className = "kick-controls";
  if (name) form.dataset.controls = name;
  form.addEventListener("submit", (event) => event.preventDefault());
  const selects: HTMLSelectElement[] = [];
  const optionLists: Option[][] = [];
  const params: Params = {};

  const fill = (i: number, options: Option[], value: Value) => {
    optionLists[i] = options;
    const select = selects[i];
    select.replaceChildren(
      ...options.map((o, j) => {
        const option = document.createElement("option");
        option.value = String(j);
        option.textContent = o.label;
        return option;
      }),
    );
    const index = options.findIndex((o) => o.value === value);
    select.value = String(Math.max(0, index));
    select.disabled = options.length <= 1;
  };

  controls.forEach((control, i) => {
    const label = document.createElement("label");
    label.className = "kick-control";
    const span = document.createElement("span");
    span.textContent = control.label;
    const select = document.createElement("select");
    select.name = control.key;
    select.setAttribute("aria-label", control.label);
    label.append(span, select);
    form.append(label);
    selects.push(select);
    select.addEventListener("change", async (event) => {
      event.stopPropagation();
      params[control.key] = optionLists[i][Number(select.value)]?.value ?? null;
      for (let j = i + 1; j < controls.length; j++) {
        const options = await optionsFor(controls[j], params, query);
        params[controls[j].key] = pick(controls[j], options, params, params[controls[j].key]);
        fill(j, options, params[controls[j].key]);
      }
      form.value = { ...params };
      form.dispatchEvent(new Event("input", { bubbles: true }));
    });
    select.addEventListener("input", (event) => event.stopPropagation());
  });

  for (const [i, control] of controls.entries()) {
    const options = await optionsFor(control, params, query);
    params[control.key] = pick(control, options, params, given[control.key]);
    fill(i, options, params[control.key]);
  }
  form.value = { ...params };
  return form;
}

// A leaf module (no imports): the function templates use it while their modules load, inside the dialect's import cycle.

/** SQL of `body` with `name` bound to the value of `value`, computed once (DuckDB repeats a macro's or a template's argument text). */
export function bindValue(value: string, name: string, body: string): string {
  return `list_transform([${value}], ${name} -> ${body})[1]`;
}

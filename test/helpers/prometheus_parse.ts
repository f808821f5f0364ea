/** Parsed Prometheus text: sample values by `name{labels}` plus declared types by family. */
export interface ParsedExposition {
  get(series: string): number | undefined;
  readonly size: number;
  readonly types: Map<string, string>;
}

const SAMPLE =
  /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (\S+)$/;

/**
 * A strict parser of the text exposition format for tests: throws on any line that is not a
 * comment, a HELP/TYPE line, or a well-formed sample, and on samples of undeclared families.
 */
export function parsePrometheusText(text: string): ParsedExposition {
  const values = new Map<string, number>();
  const types = new Map<string, string>();
  if (!text.endsWith("\n")) throw new Error("exposition must end with a newline");
  for (const line of text.slice(0, -1).split("\n")) {
    if (line.startsWith("# HELP ")) continue;
    if (line.startsWith("# TYPE ")) {
      const [, , name, type] = line.split(" ");
      if (
        !name || !type || !["counter", "gauge", "histogram", "summary", "untyped"].includes(type)
      ) {
        throw new Error(`bad TYPE line: ${line}`);
      }
      types.set(name, type);
      continue;
    }
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`bad sample line: ${JSON.stringify(line)}`);
    const [, name, labels, raw] = match;
    const family = types.has(name!) ? name! : name!.replace(/_(bucket|sum|count)$/, "");
    if (!types.has(family) || (family !== name && types.get(family) !== "histogram")) {
      throw new Error(`sample of undeclared family: ${line}`);
    }
    const value = raw === "+Inf" ? Infinity : raw === "-Inf" ? -Infinity : Number(raw);
    if (Number.isNaN(value) && raw !== "NaN") throw new Error(`bad value: ${line}`);
    values.set(`${name}${labels ?? ""}`, value);
  }
  return { get: (s) => values.get(s), size: values.size, types };
}

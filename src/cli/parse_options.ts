import { parseArgs } from "node:util";
import { UsageError } from "../core/errors.ts";

/** Option specs in node:util parseArgs form. */
export type OptionSpecs = Record<
  string,
  { type: "string" | "boolean"; multiple?: boolean; short?: string }
>;

/** Result of parsing: option values and positionals. */
export interface ParsedOptions {
  readonly values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  readonly positionals: string[];
}

/** Strict option parsing: unknown options and missing values are UsageErrors naming the option. */
export function parseOptions(
  args: readonly string[],
  options: OptionSpecs,
  command: string,
): ParsedOptions {
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options,
      allowPositionals: true,
      strict: true,
    });
    return { values: values as ParsedOptions["values"], positionals };
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new UsageError(`${command}: ${message} (see superpeer ${command} --help)`);
  }
}

/** A string option's value, if given. */
export function stringOption(parsed: ParsedOptions, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === "string" ? value : undefined;
}

/** A repeatable string option's values. */
export function stringsOption(parsed: ParsedOptions, name: string): string[] {
  const value = parsed.values[name];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

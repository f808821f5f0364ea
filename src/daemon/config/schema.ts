import type { ConfigIssue } from "../../core/errors.ts";

interface FieldBase {
  /** One sentence for the README's configuration reference. */
  readonly doc: string;
  /** True when SIGHUP applies a new value without a restart. */
  readonly live?: boolean;
}

export interface StringField extends FieldBase {
  readonly kind: "string";
  readonly enum?: readonly string[];
  readonly pattern?: RegExp;
  /** What `pattern` means, for error messages ("an IPv4 or IPv6 address"). */
  readonly patternHint?: string;
  readonly maxLength?: number;
}

export interface IntegerField extends FieldBase {
  readonly kind: "integer";
  readonly min: number;
  readonly max: number;
  readonly unit?: string;
}

export interface BooleanField extends FieldBase {
  readonly kind: "boolean";
}

/** A list of strings, each checked against `pattern`; `--set key=a,b` gives ["a", "b"]. */
export interface StringListField extends FieldBase {
  readonly kind: "stringList";
  readonly maxItems: number;
  readonly pattern: RegExp;
  readonly patternHint: string;
}

export interface SectionField {
  readonly kind: "section";
  readonly doc: string;
  readonly fields: Readonly<Record<string, Field>>;
}

export type Field = StringField | IntegerField | BooleanField | StringListField | SectionField;
export type Section = SectionField;

/** A JSON object as parsed, before validation. */
export type JsonObject = { [key: string]: unknown };

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "number" && !Number.isInteger(value)) return `the number ${value}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** Describes what a field accepts, for messages and documentation. */
export function expectation(field: Field): string {
  switch (field.kind) {
    case "string":
      if (field.enum) return `one of ${field.enum.map((e) => JSON.stringify(e)).join(", ")}`;
      return field.patternHint ? `a string: ${field.patternHint}` : "a string";
    case "integer":
      return `an integer from ${field.min} to ${field.max}${field.unit ? ` (${field.unit})` : ""}`;
    case "boolean":
      return "true or false";
    case "stringList":
      return `a list of at most ${field.maxItems} strings, each ${field.patternHint}`;
    case "section":
      return "an object";
  }
}

function checkLeaf(
  field: Exclude<Field, SectionField>,
  value: unknown,
  path: string,
  issues: ConfigIssue[],
): void {
  const fail = (): void => {
    issues.push({ path, message: `expected ${expectation(field)}, got ${typeName(value)}` });
  };
  switch (field.kind) {
    case "string":
      if (typeof value !== "string") return fail();
      if (field.enum && !field.enum.includes(value)) return fail();
      if (field.maxLength !== undefined && value.length > field.maxLength) {
        issues.push({
          path,
          message: `expected at most ${field.maxLength} characters, got ${value.length}`,
        });
        return;
      }
      if (field.pattern && !field.pattern.test(value)) return fail();
      return;
    case "integer":
      if (
        typeof value !== "number" || !Number.isInteger(value) || value < field.min ||
        value > field.max
      ) return fail();
      return;
    case "boolean":
      if (typeof value !== "boolean") return fail();
      return;
    case "stringList":
      if (!Array.isArray(value) || value.length > field.maxItems) return fail();
      value.forEach((item, i) => {
        if (typeof item !== "string" || !field.pattern.test(item)) {
          issues.push({
            path: `${path}[${i}]`,
            message: `expected ${field.patternHint}, got ${typeName(item)}`,
          });
        }
      });
      return;
  }
}

/**
 * Checks a (possibly partial) configuration object against a section, collecting every issue:
 * unknown keys, wrong types, values out of range. Missing keys are fine (defaults fill them).
 */
export function validatePartial(
  section: Section,
  value: unknown,
  path: string,
  issues: ConfigIssue[],
): void {
  if (!isJsonObject(value)) {
    issues.push({ path, message: `expected an object, got ${typeName(value)}` });
    return;
  }
  for (const [key, child] of Object.entries(value)) {
    const field = section.fields[key];
    const childPath = join(path, key);
    if (field === undefined) {
      const known = Object.keys(section.fields).join(", ");
      issues.push({ path: childPath, message: `unknown key (known keys here: ${known})` });
      continue;
    }
    if (field.kind === "section") validatePartial(field, child, childPath, issues);
    else checkLeaf(field, child, childPath, issues);
  }
}

/** Checks that a complete configuration has every key of the schema (used on merged results). */
export function findMissing(
  section: Section,
  value: JsonObject,
  path: string,
  issues: ConfigIssue[],
): void {
  for (const [key, field] of Object.entries(section.fields)) {
    const childPath = join(path, key);
    const child = value[key];
    if (child === undefined) {
      issues.push({ path: childPath, message: `missing (expected ${expectation(field)})` });
    } else if (field.kind === "section" && isJsonObject(child)) {
      findMissing(field, child, childPath, issues);
    }
  }
}

/** Returns a deep copy of `base` with `overlay` merged in (objects merge, everything else replaces). */
export function deepMerge(base: JsonObject, overlay: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    const current = out[key];
    out[key] = isJsonObject(current) && isJsonObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}

/** Finds the field at a dotted path, or undefined. */
export function fieldAt(section: Section, path: string): Field | undefined {
  let field: Field = section;
  for (const key of path.split(".")) {
    if (field.kind !== "section") return undefined;
    const next: Field | undefined = field.fields[key];
    if (next === undefined) return undefined;
    field = next;
  }
  return field;
}

/** Every leaf of a section with its dotted path, in declaration order. */
export function* leaves(
  section: Section,
  path = "",
): Generator<[string, Exclude<Field, SectionField>]> {
  for (const [key, field] of Object.entries(section.fields)) {
    const childPath = join(path, key);
    if (field.kind === "section") yield* leaves(field, childPath);
    else yield [childPath, field];
  }
}

/** Reads the value at a dotted path of a JSON object. */
export function valueAt(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const key of path.split(".")) {
    if (!isJsonObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

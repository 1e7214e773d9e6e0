/**
 * Refuses a request whose input breaks its API model's constraints (lengths, ranges, enum values, patterns, list
 * and map sizes), the way AWS's front end does before an operation runs: one error listing each violation in
 * Coral's words, e.g. `1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: Member
 * must have value less than or equal to 100`. Missing members and wrong JSON types are left to the operations,
 * which answer them as their service does (MissingParameter, SerializationException).
 */

import { apiModel, type ModelledService, type Shape } from "./api-models.ts";

/** How Coral names a member in a validation message: `MaxResults` → `maxResults`. */
const wireName = (member: string) => member.charAt(0).toLowerCase() + member.slice(1);

/** How Coral shows a value: lists as `[a, b]`, everything else as text. */
function shown(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(shown).join(", ")}]`;
  if (value !== null && typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function violation(value: unknown, path: string, constraint: string): string {
  return `Value '${shown(value)}' at '${path}' failed to satisfy constraint: Member must ${constraint}`;
}

function checkSize(value: unknown, size: number, shape: Shape, path: string, found: string[]): void {
  if (shape.min !== undefined && size < shape.min)
    found.push(violation(value, path, `have length greater than or equal to ${shape.min}`));
  if (shape.max !== undefined && size > shape.max)
    found.push(violation(value, path, `have length less than or equal to ${shape.max}`));
}

function walk(value: unknown, shape: Shape, path: string, found: string[]): void {
  if (value === undefined || value === null) return;
  switch (shape.type) {
    case "structure":
      if (typeof value !== "object" || Array.isArray(value)) return;
      for (const [member, ref] of shape.members) {
        const child = (value as Record<string, unknown>)[member];
        walk(child, ref.shape, path === "" ? wireName(member) : `${path}.${wireName(member)}`, found);
      }
      return;
    case "list":
      if (!Array.isArray(value)) return;
      checkSize(value, value.length, shape, path, found);
      value.forEach((item, index) => {
        if (shape.member) walk(item, shape.member.shape, `${path}.${index + 1}.member`, found);
      });
      return;
    case "map": {
      if (typeof value !== "object" || Array.isArray(value)) return;
      const record = value as Record<string, unknown>;
      checkSize(value, Object.keys(record).length, shape, path, found);
      for (const [key, item] of Object.entries(record)) {
        if (shape.key) walk(key, shape.key.shape, path, found);
        if (shape.value) walk(item, shape.value.shape, `${path}.${key}`, found);
      }
      return;
    }
    case "string":
      if (typeof value !== "string") return;
      if (shape.enum && !shape.enum.includes(value)) {
        found.push(violation(value, path, `satisfy enum value set: [${shape.enum.join(", ")}]`));
        return;
      }
      checkSize(value, [...value].length, shape, path, found);
      if (shape.pattern && !shape.pattern.test(value))
        found.push(violation(value, path, `satisfy regular expression pattern: ${shape.pattern.source}`));
      return;
    case "integer":
    case "long":
    case "double":
    case "float":
      if (typeof value !== "number") return;
      if (shape.min !== undefined && value < shape.min)
        found.push(violation(value, path, `have value greater than or equal to ${shape.min}`));
      if (shape.max !== undefined && value > shape.max)
        found.push(violation(value, path, `have value less than or equal to ${shape.max}`));
      return;
    default:
      return;
  }
}

/**
 * The constraint violations of an operation's input, in Coral's words; empty when it keeps them all, or when the
 * model has no such operation.
 */
export function inputViolations(service: ModelledService, operation: string, input: unknown): string[] {
  const shape = apiModel(service).operations.get(operation)?.input;
  if (!shape) return [];
  const found: string[] = [];
  walk(input, shape, "", found);
  return found;
}

/** The message of the error that refuses them: `N validation error(s) detected: …; …`. */
export function validationMessage(violations: readonly string[]): string {
  const count = violations.length;
  return `${count} validation error${count === 1 ? "" : "s"} detected: ${violations.join("; ")}`;
}

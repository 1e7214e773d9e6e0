/** Reading a function's stdout as its log. */

/** Every line that parses as a JSON object: the function's structured logs (a runtime's own lines are text). */
export function jsonLogLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

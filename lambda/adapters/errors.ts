/** Turns anything thrown into one line naming the error, e.g. `ThrottlingException: Rate exceeded`. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    return error.message && error.message !== error.name ? `${error.name}: ${error.message}` : error.name;
  }
  return String(error);
}

/** The error's name (`ThrottlingException`), or "" for anything thrown that is not an Error. */
export const errorName = (error: unknown): string => (error instanceof Error ? error.name : "");

/**
 * How many attempts the SDK made before it gave up with this error (its retry middleware sets
 * `$metadata.attempts`); 1 when it does not say. More than one means an earlier attempt may have gone through
 * with its answer lost, e.g. to a 5xx or a reset connection.
 */
export function attemptsOf(error: unknown): number {
  const attempts = (error as { $metadata?: { attempts?: unknown } } | null)?.$metadata?.attempts;
  return typeof attempts === "number" && attempts > 0 ? attempts : 1;
}

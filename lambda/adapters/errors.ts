/** Turns anything thrown into one line naming the error, e.g. `ThrottlingException: Rate exceeded`. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    return error.message && error.message !== error.name ? `${error.name}: ${error.message}` : error.name;
  }
  return String(error);
}

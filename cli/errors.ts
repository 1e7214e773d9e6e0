/** The CLI's own errors: what went wrong with the command line, and failures it can explain in a sentence. */

/** The commands the CLI knows, for usage texts. */
export type CommandName = "scan" | "history" | "restart";

/** A command line the CLI cannot run. It is printed with the command's usage, and the exit code is 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: CommandName,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "UsageError";
  }
}

/** A failure the CLI explains itself, such as a model with no stop record. Printed alone; the exit code is 1. */
export class CliError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CliError";
  }
}

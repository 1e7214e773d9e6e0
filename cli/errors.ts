/** The CLI's own errors: what went wrong with the command line, and failures it can explain in a sentence. */

/** The commands the CLI knows, for usage texts. */
export type CommandName = "scan" | "history" | "restart";

/** A command line the CLI cannot run. It is printed with the command's usage, and the exit code is 2 (EXIT.usage). */
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

/** A failure the CLI explains itself, such as a model with no stop record. Printed alone; the exit code is 1 (EXIT.failed). */
export class CliError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CliError";
  }
}

/**
 * Nothing was done, on purpose: the start was declined, or there is nothing to do (the model already runs). Printed
 * alone, not as an error; the exit code is 3, so a script can tell it from a failure.
 */
export class NothingDoneError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "NothingDoneError";
  }
}

/** The exit codes every command uses; the README's table lists them. */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** An AWS call failed, or something could not be read. */
  failed: 1,
  /** Wrong usage: an unknown command or option, or a bad value. */
  usage: 2,
  /** Nothing done on purpose: declined, or nothing to do. */
  nothingDone: 3,
} as const;

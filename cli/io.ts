/** What a command reads from and writes to, so the commands never touch `process` themselves. */

import { createInterface } from "node:readline/promises";

/** The CLI's view of its process. */
export interface CliIo {
  /** Writes to stdout: the table or the JSON, nothing else. */
  readonly out: (text: string) => void;
  /** Writes to stderr: progress, notes and errors. */
  readonly err: (text: string) => void;
  /** Whether stderr is a terminal, where progress can rewrite one line instead of adding lines. */
  readonly errIsTty: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Wall clock, epoch ms. */
  readonly clock: () => number;
  /** Asks a question on stderr and returns the line answered on stdin ("" when stdin ends first). */
  readonly ask: (question: string) => Promise<string>;
}

/** The real process's streams, environment and clock. */
export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    errIsTty: process.stderr.isTTY === true,
    env: process.env,
    clock: Date.now,
    ask: async (question) => {
      const prompt = createInterface({ input: process.stdin, output: process.stderr });
      let answered = false;
      // A closed stdin (a pipe that ended, /dev/null) answers nothing rather than hanging; the newline ends the
      // question's line, which no typed answer ended.
      const closed = new Promise<string>((resolve) =>
        prompt.once("close", () => {
          if (!answered) process.stderr.write("\n");
          resolve("");
        }),
      );
      try {
        const answer = await Promise.race([prompt.question(question), closed]);
        answered = true;
        return answer;
      } finally {
        answered = true;
        prompt.close();
      }
    },
  };
}

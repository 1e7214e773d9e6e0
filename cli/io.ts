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
  /** The named profile of `--profile`, for every AWS client; else the SDK's default chain (AWS_PROFILE…). */
  readonly profile?: string;
}

/** The options every AWS client of the CLI is built with: the profile, when `--profile` names one. */
export function awsClientOptions(io: Pick<CliIo, "profile">): { readonly profile?: string } {
  return io.profile === undefined ? {} : { profile: io.profile };
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
      // The question's line is ended by a typed answer's Enter; otherwise by us, once.
      let lineEnded = false;
      const endLine = () => {
        if (!lineEnded) process.stderr.write("\n");
        lineEnded = true;
      };
      // A closed stdin (a pipe that ended, /dev/null) answers nothing rather than hanging.
      const closed = new Promise<string>((resolve) =>
        prompt.once("close", () => {
          endLine();
          resolve("");
        }),
      );
      try {
        const answer = await Promise.race([prompt.question(question), closed]);
        // An answer piped in is not echoed, so nothing ended the question's line.
        if (process.stdin.isTTY !== true) endLine();
        lineEnded = true;
        return answer;
      } finally {
        lineEnded = true;
        prompt.close();
      }
    },
  };
}

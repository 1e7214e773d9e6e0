/** A named AWS profile in config and credentials files of its own, for the CLI's `--profile` tests. */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The files of one profile, and the environment that points at them with no region or keys of its own. */
export interface ProfileFiles {
  /** Spread into the child's environment: only the profile can give the region and the keys. */
  readonly env: Record<string, string | undefined>;
  /** Removes the files. */
  remove(): void;
}

/** Writes `[profile NAME]` with its region and `[NAME]` with its access key id (any secret). */
export function profileFiles(name: string, region: string, accessKeyId: string): ProfileFiles {
  const dir = mkdtempSync(join(tmpdir(), "cli-profile-"));
  writeFileSync(join(dir, "config"), `[profile ${name}]\nregion = ${region}\n`);
  writeFileSync(
    join(dir, "credentials"),
    `[${name}]\naws_access_key_id = ${accessKeyId}\naws_secret_access_key = secret\n`,
  );
  return {
    env: {
      AWS_CONFIG_FILE: join(dir, "config"),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, "credentials"),
      AWS_REGION: undefined,
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

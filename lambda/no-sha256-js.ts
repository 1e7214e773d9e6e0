/**
 * Stands in for `@smithy/core`'s pure-JavaScript SHA-256 in the Lambda bundle (an esbuild plugin set by the build
 * puts it in place of the `./Sha256Js` module, about 3 KB). The SDK hashes and signs with node:crypto's SHA-256 and
 * takes this class only where node:crypto has none, which no Node.js build Lambda runs lacks; so it is never
 * constructed, and should it ever be, it says why instead of hashing. Tests and the CLI use the real module.
 */

/** The SDK's SHA-256 for runtimes without node:crypto's: it refuses to be built. */
export class Sha256Js {
  constructor() {
    throw new Error(
      "node:crypto has no SHA-256 here, and the idle-model-stopper bundle leaves out the SDK's JavaScript fallback",
    );
  }
}

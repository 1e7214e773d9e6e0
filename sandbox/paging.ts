/**
 * Opaque NextToken values: an offset into the full result list and a fingerprint of the request that made it,
 * so a token replayed with different filters is refused as AWS refuses a foreign token.
 */

import { createHash } from "node:crypto";

/** A short hash of the request fields a token is bound to. */
export function fingerprintOf(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 16);
}

/** A token that resumes the listing at `offset`. */
export function encodePageToken(offset: number, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ o: offset, f: fingerprint })).toString("base64url");
}

/** The offset a token resumes at, or undefined when it is malformed or belongs to another request. */
export function decodePageToken(token: string, fingerprint: string): number | undefined {
  try {
    const decoded = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as {
      o?: unknown;
      f?: unknown;
    };
    if (
      decoded.f !== fingerprint ||
      typeof decoded.o !== "number" ||
      !Number.isInteger(decoded.o) ||
      decoded.o < 0
    )
      return undefined;
    return decoded.o;
  } catch {
    // Anything that is not our JSON is simply an invalid token; the caller answers the AWS error for it.
    return undefined;
  }
}

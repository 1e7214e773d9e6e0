/**
 * The last look, judged: a stop candidate's request metrics re-read just before its stop. A request seen then keeps
 * the model, and so does a re-read that failed. Pure: the last-look phase does the reading.
 */

import { countRequests, type Decision, requestsText } from "./decide.ts";
import { formatTime } from "./format.ts";
import type { RequestEvidence } from "./types.ts";

/** What the last look read for one model. */
export interface LookAgain {
  /** Epoch ms of the re-read. */
  readonly at: number;
  /** Epoch ms: the start of the span re-read. */
  readonly from: number;
  /** The request datapoints CloudWatch returned for the span, or why they could not be read. */
  readonly evidence: RequestEvidence;
}

/**
 * The decision after the last look: a stop stays a stop only if the re-read answered and shows no request of any
 * kind; the facts carry what it saw either way. Any other decision is returned as it is.
 */
export function judgeLastLook(decision: Decision, look: LookAgain): Decision {
  const { verdict } = decision;
  if (verdict.action !== "stop") return decision;
  const at = formatTime(look.at);
  const fromTime = formatTime(look.from);
  if ("error" in look.evidence) {
    return {
      ...decision,
      verdict: {
        action: "keep",
        reason:
          `kept to be safe at the last look: could not re-read the request metrics (${look.evidence.error}); ` +
          `before it: ${verdict.reason}`,
        facts: { ...verdict.facts, lastLook: { at, error: look.evidence.error } },
        cause: "unsure",
      },
    };
  }
  // Whatever CloudWatch returned for the span counts, even a period that began a little before it: a request
  // that arrived late is a reason to keep the model, whenever it was made.
  const seen = countRequests(look.evidence.requests, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
  if (seen.lastAt === undefined) {
    return {
      ...decision,
      verdict: {
        ...verdict,
        reason: `${verdict.reason}; the last look from ${fromTime} to ${at} saw no request either`,
        facts: { ...verdict.facts, lastLook: { at, fromTime, requests: 0 } },
      },
    };
  }
  const lastRequestAt = formatTime(seen.lastAt);
  return {
    ...decision,
    verdict: {
      action: "keep",
      reason:
        `kept at the last look: ${requestsText(seen.total)} (${seen.breakdown}) between ${fromTime} and ${at}, ` +
        `the last at ${lastRequestAt}; before it: ${verdict.reason}`,
      facts: {
        ...verdict.facts,
        lastRequestAt,
        lastLook: { at, fromTime, requests: seen.total, lastRequestAt },
      },
      cause: "in-use",
    },
  };
}

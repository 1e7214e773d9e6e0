/**
 * The follow-up function in the organization mode (issues 11 and 12): undoing a wrong stop is the stopper's safety
 * net, and a stop in a member account must be undoable too.
 *
 * Every 15 minutes the function reads which accounts and regions have something to follow up: the keys of the sparse
 * FollowUps index (`<accountId>:<region>`; one Scan of an index that holds only open warnings and followed stops).
 * For each such account it assumes the spoke role (the hub's own account uses the function's role) and runs exactly
 * the single-account follow-up (started by hand, regret check, restart on schedule) with Rekognition and CloudWatch
 * in that account and the log on that account's keys. Accounts go a few at a time; a failure in one account (no
 * spoke role, an API error) is reported and never stops the others; an account not begun before the deadline is
 * left to the next follow-up, 15 minutes later. One summary, one digest and one set of metrics for all accounts.
 * Without OUs, an account no longer listed is followed up while the hub may still assume its role, and only logged
 * once it may not; the hub's own account is left out with `includeHubAccount=false`, where the hub's roles have no
 * grant.
 */

import pLimit from "p-limit";
import { errorMessage } from "../adapters/errors.ts";
import type { Problem } from "../adapters/rekognition.ts";
import type { SpokeRoleAssumer } from "../adapters/spoke-role.ts";
import type { FollowUpKeys } from "../adapters/stop-log.ts";
import type { AccountScope } from "../aws-clients.ts";
import type { StopperConfig } from "../config.ts";
import { followUpAccounts } from "../core/organization.ts";
import { type RunDependencies, timeLeftMs } from "../dependencies.ts";
import { type FollowUpSummary, type FollowUpWork, followUpWork } from "../follow-up.ts";
import { followUpReport } from "../phases/follow-up-report.ts";
import type { OrganizationConfig } from "./config.ts";

/** How many accounts are followed up at once: few, since each has few records and one function does them all. */
export const FOLLOW_UP_ACCOUNT_CONCURRENCY = 4;

/** What the organization's follow-up works through, beside the hub's own adapters. */
export interface OrganizationFollowUpDependencies {
  /** The FollowUps index's keys: which accounts and regions to follow up. */
  readonly keys: FollowUpKeys;
  readonly assumer: SpokeRoleAssumer;
  /** Rekognition and CloudWatch in an account, the log on that account's keys. */
  readonly adaptersIn: (
    scope: AccountScope,
  ) => Pick<RunDependencies, "directory" | "usage" | "log" | "tagger">;
}

/** Follows up the recent stops of every account with something to follow up, once. */
export async function runOrganizationFollowUp(
  deps: RunDependencies & OrganizationFollowUpDependencies,
  config: StopperConfig,
  organization: Pick<
    OrganizationConfig,
    "hubAccountId" | "includeHubAccount" | "accounts" | "organizationalUnits"
  >,
  runId: string,
): Promise<FollowUpSummary> {
  const now = deps.clock();
  const errors: Problem[] = [];
  const works: FollowUpWork[] = [];
  let keys: string[] = [];
  try {
    keys = await deps.keys.followUpKeys();
  } catch (error) {
    errors.push({ message: `could not read which accounts have stops to follow up: ${errorMessage(error)}` });
  }
  const found = config.dryRun ? [] : followUpAccounts(keys, organization.hubAccountId, config.regions);
  // The hub's own account only while it is served (includeHubAccount: its roles have no grant there otherwise).
  const hubLeftOut = (accountId: string) =>
    accountId === organization.hubAccountId && !organization.includeHubAccount;
  // Without OUs the accounts served are known. One taken off the list is still followed up if the hub may assume its
  // role (its wrong stops are still the stopper's to undo); if not, that is logged, not reported every 15 minutes
  // until its records expire.
  const unlisted = (accountId: string) =>
    accountId !== organization.hubAccountId &&
    organization.organizationalUnits.length === 0 &&
    !organization.accounts.includes(accountId);
  const accounts = found.filter(({ accountId }) => !hubLeftOut(accountId));
  if (accounts.length < found.length)
    deps.logger.warn(
      "the hub's own account is not served (includeHubAccount=false): its stops are not followed up",
      {
        accountId: organization.hubAccountId,
      },
    );
  // An account whose role could not be assumed, or whose follow-up failed: logged, and reported in the summary.
  const reportNotFollowedUp = (accountId: string, where: string, error: unknown) => {
    deps.logger.error("account not followed up", { accountId, error: errorMessage(error) });
    errors.push({ message: `${where}: not followed up: ${errorMessage(error)}` });
  };
  const marginMs = config.deadlineMarginSeconds * 1000;
  const limit = pLimit(FOLLOW_UP_ACCOUNT_CONCURRENCY);
  await Promise.all(
    accounts.map(({ accountId, regions }) =>
      limit(async () => {
        const where = `account ${accountId} (${regions.join(", ")})`;
        // An account begun is finished within its phases' own deadline checks; one not begun waits 15 minutes.
        if (timeLeftMs(deps) < 2 * marginMs) {
          errors.push({ message: `${where}: not followed up, no time left; the next follow-up does it` });
          return;
        }
        const hub = accountId === organization.hubAccountId;
        let credentials: Awaited<ReturnType<SpokeRoleAssumer["assume"]>> | undefined;
        try {
          credentials = hub ? undefined : await deps.assumer.assume(accountId, runId);
        } catch (error) {
          if (unlisted(accountId)) {
            deps.logger.warn(
              "account no longer listed, and its role cannot be assumed: its stops are not followed up",
              {
                accountId,
                error: errorMessage(error),
              },
            );
            return;
          }
          reportNotFollowedUp(accountId, where, error);
          return;
        }
        try {
          // The tags go on the account's models through its role; the events on the hub's bus (deps.events).
          const { directory, usage, log, tagger } = deps.adaptersIn({
            ...(credentials && { credentials }),
            account: { accountId, readsAccountlessRecords: hub },
          });
          works.push(
            await followUpWork(
              { ...deps, directory, usage, log, ...(tagger && { tagger }) },
              Object.freeze({ ...config, regions: Object.freeze([...regions]) }),
              { runId, now },
            ),
          );
        } catch (error) {
          // Reported, and the other accounts go on.
          reportNotFollowedUp(accountId, where, error);
        }
      }),
    ),
  );
  deps.logger.info("accounts followed up", { accounts: accounts.length, keys: keys.length });
  return followUpReport(deps, config, {
    runId,
    now,
    followed: works.reduce((sum, work) => sum + work.followed, 0),
    regretChecked: works.reduce((sum, work) => sum + work.regretChecked, 0),
    retired: works.flatMap((work) => work.retired),
    announced: {
      events: works.reduce((sum, work) => sum + (work.announced?.events ?? 0), 0),
      tagged: works.reduce((sum, work) => sum + (work.announced?.tagged ?? 0), 0),
      errors: works.flatMap((work) => work.announced?.errors ?? []),
    },
    results: {
      restarted: works.flatMap((work) => work.results.restarted),
      startedByHand: works.flatMap((work) => work.results.startedByHand),
      errors: [...errors, ...works.flatMap((work) => work.results.errors)],
    },
  });
}

/**
 * AWS Organizations: the ACTIVE accounts under an OU, nested OUs included, every page. Callable from the
 * management account or a delegated administrator only; the hub's grant for it exists only when OUs are set.
 */

import {
  ListAccountsForParentCommand,
  ListChildrenCommand,
  type OrganizationsClient,
} from "@aws-sdk/client-organizations";
import { forEachPage } from "./paging.ts";

/** The accounts of the organization the run serves. */
export interface OrganizationAccounts {
  /** Every ACTIVE account under the OU (or root), in its child OUs too. */
  activeAccountsUnder(parentId: string): Promise<string[]>;
}

// ListAccountsForParent and ListChildren take MaxResults 1-20.
const PAGE_SIZE = 20;

/** The SDK-backed {@link OrganizationAccounts}. */
export class OrganizationsAccounts implements OrganizationAccounts {
  constructor(private readonly client: OrganizationsClient) {}

  async activeAccountsUnder(parentId: string): Promise<string[]> {
    const accounts: string[] = [];
    const parents = [parentId];
    const seen = new Set(parents);
    for (let parent = parents.shift(); parent !== undefined; parent = parents.shift()) {
      const current = parent;
      await forEachPage(
        "ListAccountsForParent",
        async (token) => {
          const page = await this.client.send(
            new ListAccountsForParentCommand({ ParentId: current, MaxResults: PAGE_SIZE, NextToken: token }),
          );
          return { items: page.Accounts ?? [], nextToken: page.NextToken };
        },
        (items) => {
          // SUSPENDED and PENDING_CLOSURE accounts are closing: nothing there to stop, and no role to assume.
          for (const account of items)
            if (account.Status === "ACTIVE" && account.Id) accounts.push(account.Id);
        },
      );
      await forEachPage(
        "ListChildren",
        async (token) => {
          const page = await this.client.send(
            new ListChildrenCommand({
              ParentId: current,
              ChildType: "ORGANIZATIONAL_UNIT",
              MaxResults: PAGE_SIZE,
              NextToken: token,
            }),
          );
          return { items: page.Children ?? [], nextToken: page.NextToken };
        },
        (items) => {
          for (const child of items)
            if (child.Id && !seen.has(child.Id)) {
              seen.add(child.Id);
              parents.push(child.Id);
            }
        },
      );
    }
    return [...new Set(accounts)];
  }
}

/**
 * Follows NextToken through every page, with a guard: a token seen before would loop forever, so it ends the
 * paging with an error that keeps what was read. An empty page that still has a NextToken is followed.
 */

import { plural } from "../core/format.ts";

/** A page as the adapters see it. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextToken?: string;
}

/** Paging stopped because the service sent a token it had sent before. */
export class RepeatedTokenError extends Error {
  constructor(
    readonly operation: string,
    readonly pagesRead: number,
  ) {
    super(
      `${operation} returned a NextToken it had already returned, after ${plural(pagesRead, "page")}; stopped paging`,
    );
    this.name = "RepeatedTokenError";
  }
}

/** Most pages read from one listing; far above any real account, it only stops a runaway. */
export const MAX_PAGES = 100_000;

/** Calls `fetch` with each NextToken in turn and hands every page's items to `onItems`. */
export async function forEachPage<T>(
  operation: string,
  fetch: (nextToken: string | undefined) => Promise<Page<T>>,
  onItems: (items: readonly T[]) => void,
): Promise<void> {
  const seen = new Set<string>();
  let token: string | undefined;
  for (let pages = 1; ; pages += 1) {
    const page = await fetch(token);
    onItems(page.items);
    token = page.nextToken || undefined;
    if (token === undefined) return;
    if (seen.has(token)) throw new RepeatedTokenError(operation, pages);
    if (pages >= MAX_PAGES)
      throw new Error(`${operation} returned more than ${MAX_PAGES} pages; stopped paging`);
    seen.add(token);
  }
}

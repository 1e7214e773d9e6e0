/** Types for `dynalite` 4, which ships none: the options the sandbox uses and the http.Server it returns. */
declare module "dynalite" {
  import type { Server } from "node:http";

  interface DynaliteOptions {
    /** Milliseconds a table stays CREATING. @default 500 */
    createTableMs?: number;
    /** Milliseconds a table stays DELETING. @default 500 */
    deleteTableMs?: number;
    /** Milliseconds a table stays UPDATING. @default 500 */
    updateTableMs?: number;
    /** Largest item size in KB. @default 400 */
    maxItemSizeKb?: number;
    /** A LevelDB directory; in memory when omitted. */
    path?: string;
    verbose?: boolean;
    debug?: boolean;
  }

  /** Creates (but does not start) a DynamoDB-compatible HTTP server. */
  function dynalite(options?: DynaliteOptions): Server;
  export default dynalite;
}

/**
 * Stands in for `@aws-sdk/endpoint-cache` in the Lambda bundle (an esbuild alias set by the build). The DynamoDB
 * client always builds an endpoint cache for endpoint discovery (an LRU cache from `mnemonist`, about 7 KB), which
 * is off unless `AWS_ENABLE_ENDPOINT_DISCOVERY` turns it on, and the stack never does: the cache is asked on every
 * call and never holds anything. This one holds nothing, whatever it is given, so should discovery ever be turned on
 * the calls still go to the region's endpoint, as they do now. Tests and the CLI use the real module.
 */

/** An endpoint cache that stays empty: every call goes to the region's own endpoint. */
export class EndpointCache {
  getEndpoint(_key: string): string | undefined {
    return undefined;
  }

  get(_key: string): undefined {
    return undefined;
  }

  has(_key: string): boolean {
    return false;
  }

  // A discovered endpoint is dropped, not kept: the region's endpoint serves every call.
  set(_key: string, _endpoints: unknown): void {}

  delete(_key: string): void {}

  clear(): void {}
}

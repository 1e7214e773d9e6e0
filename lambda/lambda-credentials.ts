/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundle (an esbuild alias set by the build).
 * Lambda hands the function its role's credentials in environment variables, so the rest of the SDK's default
 * chain (SSO, INI files, instance metadata, STS web identity) is never used there; leaving it out makes the
 * bundle about 120 KB smaller and its cold start faster. Tests and the CLI import the real chain.
 */

import { type FromEnvInit, fromEnv } from "@aws-sdk/credential-provider-env";

/** The SDK clients' default credential provider, reduced to the environment. */
export const defaultProvider = (init?: FromEnvInit) => fromEnv(init);

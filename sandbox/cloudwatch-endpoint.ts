/**
 * The CloudWatch endpoint: AWS JSON 1.0 with awsQuery compatibility, as the current SDK speaks it
 * (`X-Amz-Target: GraniteServiceVersion20100801.<Operation>`), and Smithy RPC v2 CBOR, which CloudWatch's model
 * lists first (`POST /service/GraniteServiceVersion20100801/operation/<Operation>`, `smithy-protocol: rpc-v2-cbor`),
 * through the same operations. Errors in both carry `x-amzn-query-error: Code;Sender`, which the SDK reads first,
 * so callers see the same codes as with the older awsQuery protocol.
 */

import type http from "node:http";
import { AwsServiceError } from "./aws-error.ts";
import { getMetricData, listMetrics, putMetricData } from "./cloudwatch-operations.ts";
import { createJsonEndpoint, type EndpointRuntime, type WireResponse } from "./http-endpoint.ts";
import type { MetricStore } from "./metric-store.ts";
import type { CloudWatchQuirks } from "./quirks.ts";
import { CBOR_CONTENT_TYPE, RPC_V2_CBOR, writeCbor } from "./rpc-v2-cbor.ts";

const CONTENT_TYPE = "application/x-amz-json-1.0";

/** awsQuery code → the shape id in `__type`, and whether the caller (Sender) or AWS (Receiver) is at fault. */
const ERROR_SHAPES: Readonly<Record<string, { shape: string; fault: "Sender" | "Receiver" }>> = {
  InvalidParameterValue: {
    shape: "com.amazonaws.cloudwatch#InvalidParameterValueException",
    fault: "Sender",
  },
  InvalidParameterCombination: {
    shape: "com.amazonaws.cloudwatch#InvalidParameterCombinationException",
    fault: "Sender",
  },
  MissingParameter: { shape: "com.amazonaws.cloudwatch#MissingRequiredParameterException", fault: "Sender" },
  ValidationError: { shape: "com.amazonaws.cloudwatch#ValidationException", fault: "Sender" },
  InvalidNextToken: { shape: "com.amazonaws.cloudwatch#InvalidNextToken", fault: "Sender" },
  InternalServiceError: { shape: "com.amazonaws.cloudwatch#InternalServiceFault", fault: "Receiver" },
  // Not in the service model: the SDK falls back to a CloudWatchServiceException named after the code.
  Throttling: { shape: "com.amazon.coral.availability#ThrottlingException", fault: "Sender" },
  ServiceUnavailable: {
    shape: "com.amazon.coral.availability#ServiceUnavailableException",
    fault: "Receiver",
  },
};

/**
 * Creates the CloudWatch endpoint's server over a store, or one store per account. `clock` is the sandbox's now
 * (epoch ms); `quirks` is read on every call.
 */
export function createCloudWatchEndpoint(
  stores: MetricStore | ((account: string) => MetricStore),
  clock: () => number,
  runtime: EndpointRuntime,
  quirks: () => CloudWatchQuirks = () => ({}),
): http.Server {
  const store = (account: string) => (typeof stores === "function" ? stores(account) : stores);
  return createJsonEndpoint(
    {
      service: "cloudwatch",
      targetPrefix: "GraniteServiceVersion20100801",
      contentType: CONTENT_TYPE,
      operations: {
        PutMetricData: (input, context) =>
          putMetricData(store(context.account), context.region, input, clock()),
        GetMetricData: (input, context) =>
          getMetricData(store(context.account), context.region, input, clock(), quirks()),
        ListMetrics: (input, context) =>
          listMetrics(store(context.account), context.region, input, clock(), quirks()),
      },
      errorResponse,
      injectedError: (kind, code) =>
        kind === "throttle"
          ? new AwsServiceError(code, "Rate exceeded (injected by the sandbox)", 400)
          : new AwsServiceError(
              code,
              "The request processing has failed because of an unknown error, exception or failure (injected by the sandbox)",
              code === "ServiceUnavailable" ? 503 : 500,
            ),
      keyInput,
      // A batch is known by its size and page: which models fill a batch of a concurrent caller can change from run
      // to run, and the time range moves with the clock.
      callKey: (operation, input) => {
        if (operation === "ListMetrics") return JSON.stringify(keyInput(operation, input));
        const { queryCount, NextToken, Namespace, metricDataCount } = keyInput(operation, input);
        return JSON.stringify([queryCount, NextToken, Namespace, metricDataCount]);
      },
      validationError: (message) => new AwsServiceError("ValidationError", message),
      rpcV2Cbor: {
        serviceName: "GraniteServiceVersion20100801",
        namespace: "com.amazonaws.cloudwatch",
        errorResponse: cborErrorResponse,
      },
    },
    runtime,
  );
}

/** The error's shape id and its awsQuery-compatible `Code;Fault`, the same in both protocols. */
function errorParts(error: AwsServiceError): { shape: string | undefined; queryError: string } {
  const known = ERROR_SHAPES[error.code];
  const fault = known?.fault ?? (error.statusCode >= 500 ? "Receiver" : "Sender");
  return { shape: known?.shape, queryError: `${error.code};${fault}` };
}

function errorResponse(error: AwsServiceError): WireResponse {
  const { shape, queryError } = errorParts(error);
  return {
    statusCode: error.statusCode,
    headers: { "content-type": CONTENT_TYPE, "x-amzn-query-error": queryError },
    body: JSON.stringify({ __type: shape ?? error.code, message: error.message }),
  };
}

/**
 * A RPC v2 CBOR error: the same status and `x-amzn-query-error` as in JSON, and `__type` as an absolute shape id,
 * as the protocol requires; an error CloudWatch's model does not declare (UnknownOperationException,
 * SerializationException…) is AWS's front end's, named in its `com.amazon.coral.service` namespace.
 */
function cborErrorResponse(error: AwsServiceError): WireResponse {
  const { shape, queryError } = errorParts(error);
  return {
    statusCode: error.statusCode,
    headers: {
      "content-type": CBOR_CONTENT_TYPE,
      "smithy-protocol": RPC_V2_CBOR,
      "x-amzn-query-error": queryError,
    },
    body: writeCbor(
      { __type: shape ?? `com.amazon.coral.service#${error.code}`, message: error.message },
      undefined,
    ),
  };
}

function keyInput(operation: string, input: Record<string, unknown>): Record<string, unknown> {
  if (operation === "ListMetrics") {
    const picked: Record<string, unknown> = {};
    for (const key of ["Namespace", "MetricName", "Dimensions", "RecentlyActive", "NextToken"])
      if (input[key] !== undefined) picked[key] = input[key];
    return picked;
  }
  if (operation === "PutMetricData")
    return {
      Namespace: input.Namespace,
      metricDataCount: Array.isArray(input.MetricData) ? input.MetricData.length : 0,
    };
  return {
    queryCount: Array.isArray(input.MetricDataQueries) ? input.MetricDataQueries.length : 0,
    StartTime: input.StartTime,
    EndTime: input.EndTime,
    ...(input.ScanBy !== undefined && { ScanBy: input.ScanBy }),
    ...(input.MaxDatapoints !== undefined && { MaxDatapoints: input.MaxDatapoints }),
    ...(input.NextToken !== undefined && { NextToken: input.NextToken }),
  };
}

/** The one error type the sandbox's operations throw; each endpoint writes it in its protocol's wire shape. */

/** An error answered to the caller: the AWS error code, a message and the HTTP status AWS uses for it. */
export class AwsServiceError extends Error {
  constructor(
    /** The code on the wire, e.g. `ResourceNotFoundException` (for CloudWatch, the awsQuery code). */
    readonly code: string,
    message: string,
    /** The HTTP status AWS documents for this error. */
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = code;
  }
}

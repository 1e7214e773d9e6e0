/**
 * Stands in for `@smithy/core/event-streams` in the Lambda bundle (an esbuild alias set by the build). The SDK's
 * protocols load it only for an operation that streams events (Transcribe, Bedrock…); none of the operations the
 * stopper calls does, so bundling it would only add about 20 KB to load at every cold start. Should one ever be
 * called, it fails with this error instead of failing to load a module. Tests and the CLI use the real module.
 */

/** Thrown if the bundle ever meets an event-stream operation. */
export class EventStreamsNotBundledError extends Error {
  constructor() {
    super(
      "event streams are left out of the idle-model-stopper bundle: none of its AWS operations streams events " +
        "(see lambda/no-event-streams.ts)",
    );
    this.name = "EventStreamsNotBundledError";
  }
}

/** The provider the SDK asks for an event-stream marshaller: there is none. */
export const eventStreamSerdeProvider = (): never => {
  throw new EventStreamsNotBundledError();
};

/** The serde the SDK would build around that marshaller; never reached, since the provider throws first. */
export class EventStreamSerde {
  constructor() {
    throw new EventStreamsNotBundledError();
  }
}

/** SNS: publishes the run's digest to the stack's topic. */

import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import type { Digest } from "../core/digest.ts";

/** Sends one message to the people who run the stopper. */
export interface Notifier {
  publish(digest: Digest): Promise<void>;
}

/** The SDK-backed {@link Notifier}. */
export class SnsNotifier implements Notifier {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(digest: Digest): Promise<void> {
    await this.client.send(
      new PublishCommand({ TopicArn: this.topicArn, Subject: digest.subject, Message: digest.message }),
    );
  }
}

/** SNS: publishes the run's digest to the stack's topic, and a warned model's message to its owner's topic. */

import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import type { Digest } from "../core/digest.ts";

/** Sends messages to the people who run the stopper, and to model owners who asked for warnings. */
export interface Notifier {
  /** Publishes to the stack's own topic. */
  publish(digest: Digest): Promise<void>;
  /** Publishes to another topic of the account (a model's notify tag), through a client of the topic's region. */
  publishTo(topicArn: string, digest: Digest): Promise<void>;
}

/** The SDK-backed {@link Notifier}; `clientFor` gives one client per region. */
export class SnsNotifier implements Notifier {
  constructor(
    private readonly clientFor: (region: string) => SNSClient,
    private readonly topicArn: string,
  ) {}

  publish(digest: Digest): Promise<void> {
    return this.publishTo(this.topicArn, digest);
  }

  async publishTo(topicArn: string, digest: Digest): Promise<void> {
    // SNS takes a topic's messages only in the topic's own region.
    const region = topicArn.split(":")[3] ?? "";
    await this.clientFor(region).send(
      new PublishCommand({ TopicArn: topicArn, Subject: digest.subject, Message: digest.message }),
    );
  }
}

/**
 * Step Functions: whether another run of the organization's state machine is still going. Runs must not overlap
 * (two runs in one account and region could both stop and record the same model), and in the organization mode the
 * function's reserved concurrency allows several items at once, so the first step of each run asks.
 */

import { ListExecutionsCommand, type SFNClient } from "@aws-sdk/client-sfn";
import { forEachPage } from "./paging.ts";

/** The runs of the state machine. */
export interface RunningExecutions {
  /** ARNs of the other executions still RUNNING that started before `startedAt` (epoch ms). */
  startedBefore(stateMachineArn: string, executionArn: string, startedAt: number): Promise<string[]>;
}

/** The SDK-backed {@link RunningExecutions}. */
export class SfnRunningExecutions implements RunningExecutions {
  constructor(private readonly client: SFNClient) {}

  async startedBefore(stateMachineArn: string, executionArn: string, startedAt: number): Promise<string[]> {
    const earlier: string[] = [];
    await forEachPage(
      "ListExecutions",
      async (token) => {
        const page = await this.client.send(
          new ListExecutionsCommand({ stateMachineArn, statusFilter: "RUNNING", nextToken: token }),
        );
        return { items: page.executions ?? [], nextToken: page.nextToken };
      },
      (items) => {
        for (const execution of items) {
          const started = execution.startDate?.getTime() ?? 0;
          // Two runs started at the same instant: the one with the smaller ARN goes on, the other stops.
          const first =
            started < startedAt || (started === startedAt && (execution.executionArn ?? "") < executionArn);
          if (execution.executionArn && execution.executionArn !== executionArn && first)
            earlier.push(execution.executionArn);
        }
      },
    );
    return earlier;
  }
}

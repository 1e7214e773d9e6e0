/** What the follow-up phase tests share: a followed stop record, and the fakes a follow-up works through. */

import type { StopRecord } from "../../lambda/core/stop-record.ts";
import {
  FakeDirectory,
  FakeLogger,
  FakeStopLog,
  FakeUsage,
  MINUTE,
  NOW,
  REGION,
  runningModel,
} from "./fakes.ts";

/** A live stop the nightly run made at 02:00 (completed 5 s later), followed up, of `<project>/<version>`. */
export function followedStop(project: string, version: string, fields: Partial<StopRecord> = {}): StopRecord {
  const model = runningModel(project, version);
  return {
    modelArn: model.modelArn,
    stoppedAt: new Date(NOW).toISOString(),
    dryRun: false,
    projectName: project,
    versionName: version,
    region: REGION,
    reason: "idle: no requests in the last 3h00m; in service for the whole window",
    idleMinutes: 180,
    inferenceUnits: 2,
    minInferenceUnits: 2,
    maxInferenceUnits: 3,
    estimatedHourlyCostUsd: 8,
    runId: "scheduled-2026-11-28T02:00:00Z",
    status: "STOPPING",
    completedAt: "2026-11-28T02:00:05Z",
    expiresAt: 0,
    kind: "stop",
    projectArn: model.projectArn,
    evidenceUntil: "2026-11-28T01:58:00Z",
    followUpRegion: REGION,
    ...fields,
  };
}

/** The fakes of a follow-up, with the records already in the log; the clock reads `now` plus a second a call. */
export function followUpWorld(records: StopRecord[], now = NOW + 65 * MINUTE) {
  const directory = new FakeDirectory();
  const log = new FakeStopLog(directory.calls);
  log.records.push(...records.map((record) => ({ ...record })));
  for (const record of records) directory.statuses.set(record.modelArn, "STOPPED");
  let tick = now;
  return {
    directory,
    log,
    usage: new FakeUsage(),
    logger: new FakeLogger(),
    now,
    clock: () => tick++,
    /** The record of a model as the log holds it now. */
    record: (arn: string) => log.records.find((record) => record.modelArn === arn),
  };
}

/** Request datapoints of one metric, as CloudWatch returns them. */
export function requestsAt(...times: string[]) {
  return {
    requests: {
      SuccessfulRequestCount: times.map((at) => ({ at: Date.parse(at), value: 1 })),
      UserErrorCount: [],
      ServerErrorCount: [],
      ThrottledCount: [],
    },
  };
}

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { settingsFromEnv } from "../../common/settings.ts";
describe("x", () => { it("y", () => { assert.equal(settingsFromEnv({}).idleMinutes, 180); }); });

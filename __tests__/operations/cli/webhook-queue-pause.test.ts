/**
 * The switch behind `pause` and `resume` against a scripted Lambda: the states Lambda passes
 * through (Disabling, Enabling, Updating), which moto skips, and what is asked of it in each.
 */
import { LambdaClient } from "@aws-sdk/client-lambda";
import { CliError } from "../../../src/operations/cli/errors";
import {
  EventSourceMappingState,
  Switch,
  functionNameOfArn,
  needsSwitch,
  stateText,
  switchMapping,
} from "../../../src/operations/cli/event-source-mappings";

/** A Lambda whose GetEventSourceMapping answers `states` in turn (the last one from then on); every call recorded. */
function scriptedLambda(states: readonly string[], updateAnswer = "Disabling") {
  const calls: string[] = [];
  let next = 0;
  const lambda = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const name = command.constructor.name.replace(/Command$/, "");
      if (name === "UpdateEventSourceMapping") {
        calls.push(`Update Enabled=${command.input.Enabled}`);
        return { State: updateAnswer };
      }
      calls.push("Get");
      return { State: states[Math.min(next++, states.length - 1)] };
    },
  } as unknown as LambdaClient;
  return { lambda, calls };
}

const mapping = (state: string): EventSourceMappingState => ({
  uuid: "6f1c",
  state,
  functionArn: "arn:aws:lambda:ap-northeast-1:123456789012:function:mz-dev-webhook-event-producer",
});

async function run(action: Switch, before: string, states: readonly string[], options: { timeoutMs?: number; updateAnswer?: string } = {}) {
  const { lambda, calls } = scriptedLambda(states, options.updateAnswer);
  const seen: string[] = [];
  const outcome = await switchMapping(lambda, mapping(before), action, {
    timeoutMs: options.timeoutMs ?? 5_000,
    intervalMs: 1,
    onState: (state) => seen.push(state),
  });
  return { outcome, calls, seen };
}

test("pause: an Enabled mapping is updated once, then waited for through Disabling until Disabled", async () => {
  const { outcome, calls, seen } = await run("pause", "Enabled", ["Disabling", "Disabling", "Disabled"]);
  expect(calls).toEqual(["Update Enabled=false", "Get", "Get", "Get"]);
  expect(seen).toEqual(["Disabling", "Disabling", "Disabled"]);
  expect(outcome).toMatchObject({ uuid: "6f1c", before: "Enabled", after: "Disabled", changed: true });
});

test("resume: a Disabled mapping is updated with Enabled=true and waited for until Enabled", async () => {
  const { outcome, calls } = await run("resume", "Disabled", ["Enabling", "Enabled"], { updateAnswer: "Enabling" });
  expect(calls).toEqual(["Update Enabled=true", "Get", "Get"]);
  expect(outcome).toMatchObject({ before: "Disabled", after: "Enabled", changed: true });
});

test("a mapping already there is left alone: no call at all", async () => {
  expect(await run("pause", "Disabled", [])).toMatchObject({ calls: [], outcome: { before: "Disabled", after: "Disabled", changed: false } });
  expect(await run("resume", "Enabled", [])).toMatchObject({ calls: [], outcome: { changed: false } });
});

test("a mapping on its way (Disabling for a pause) is only waited for, not updated again", async () => {
  const { outcome, calls } = await run("pause", "Disabling", ["Disabling", "Disabled"]);
  expect(calls).toEqual(["Get", "Get"]);
  expect(outcome).toMatchObject({ before: "Disabling", after: "Disabled", changed: false });
});

test("a mapping in another change (Updating, the opposite switch) settles first, since Lambda refuses an update meanwhile", async () => {
  const updating = await run("pause", "Updating", ["Updating", "Enabled", "Disabling", "Disabled"]);
  expect(updating.calls).toEqual(["Get", "Get", "Update Enabled=false", "Get", "Get"]);
  expect(updating.outcome).toMatchObject({ before: "Updating", after: "Disabled", changed: true });
  const pausing = await run("resume", "Disabling", ["Disabled", "Enabled"], { updateAnswer: "Enabling" });
  expect(pausing.calls).toEqual(["Get", "Update Enabled=true", "Get"]);
  // Settled where the switch wants it: nothing to ask.
  const resuming = await run("pause", "Enabling", ["Disabled"]);
  expect(resuming.calls).toEqual(["Get"]);
  expect(resuming.outcome).toMatchObject({ after: "Disabled", changed: false });
});

test("a mapping that does not settle in time is an error naming its state; --wait 0 asks and returns", async () => {
  const slow = run("pause", "Enabled", ["Disabling"], { timeoutMs: 30 });
  await expect(slow).rejects.toThrow(CliError);
  await expect(slow).rejects.toThrow(/event source mapping 6f1c is still Disabling after \d+ s/);
  const noWait = await run("pause", "Enabled", [], { timeoutMs: 0 });
  expect(noWait.calls).toEqual(["Update Enabled=false"]);
  expect(noWait.outcome).toMatchObject({ after: "Disabling", changed: true });
  await expect(run("pause", "Enabled", ["Deleting"])).rejects.toThrow("event source mapping 6f1c is being deleted");
});

test("what each switch has to do, how states read, function names from ARNs", () => {
  expect(["Enabled", "Enabling", "Disabling", "Disabled", "Updating"].filter((state) => needsSwitch("pause", state))).toEqual([
    "Enabled",
    "Enabling",
    "Updating",
  ]);
  expect(["Enabled", "Enabling", "Disabling", "Disabled"].filter((state) => needsSwitch("resume", state))).toEqual(["Disabling", "Disabled"]);
  expect(stateText("Disabled")).toBe("Disabled (paused: webhook-queue resume to deliver)");
  expect(stateText("Enabled")).toBe("Enabled");
  expect(stateText("Disabling")).toBe("Disabling (pausing)");
  expect(stateText(undefined)).toBe("state unknown");
  expect(functionNameOfArn("arn:aws:lambda:us-east-1:123456789012:function:producer:live")).toBe("producer");
  expect(functionNameOfArn("producer")).toBe("producer");
});

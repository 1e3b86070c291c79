/**
 * The Lambda event source mappings that read the main queue, found from the queue's ARN:
 * `status` shows them, `pause` and `resume` switch them off and on. Lambda moves a switched
 * mapping through Disabling or Enabling before it settles; the switch waits for that.
 */
import {
  EventSourceMappingConfiguration,
  GetEventSourceMappingCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from "@aws-sdk/client-lambda";
import { CliError } from "./errors";
import { sleep } from "./terminal";

export interface EventSourceMappingState {
  readonly uuid?: string;
  /** Creating, Enabling, Enabled, Disabling, Disabled, Updating or Deleting */
  readonly state?: string;
  readonly functionArn?: string;
  readonly batchSize?: number;
  readonly lastProcessingResult?: string;
  readonly stateTransitionReason?: string;
}

function mappingState(mapping: EventSourceMappingConfiguration): EventSourceMappingState {
  return {
    uuid: mapping.UUID,
    state: mapping.State,
    functionArn: mapping.FunctionArn,
    batchSize: mapping.BatchSize,
    lastProcessingResult: mapping.LastProcessingResult ?? undefined,
    stateTransitionReason: mapping.StateTransitionReason,
  };
}

/** Every mapping whose event source is the queue (all pages). */
export async function listEventSourceMappings(lambda: LambdaClient, queueArn: string): Promise<EventSourceMappingState[]> {
  const mappings: EventSourceMappingState[] = [];
  let marker: string | undefined;
  do {
    const page = await lambda.send(new ListEventSourceMappingsCommand({ EventSourceArn: queueArn, Marker: marker }));
    mappings.push(...(page.EventSourceMappings ?? []).map(mappingState));
    marker = page.NextMarker;
  } while (marker);
  return mappings;
}

const STATE_NOTES: Readonly<Record<string, string>> = {
  Disabled: "paused: webhook-queue resume to deliver",
  Disabling: "pausing",
  Enabling: "resuming",
};

/** A mapping's state for people: a paused one says how to deliver again. */
export function stateText(state: string | undefined): string {
  if (state === undefined) return "state unknown";
  return STATE_NOTES[state] ? `${state} (${STATE_NOTES[state]})` : state;
}

/**
 * Under `npm run local` moto keeps the mapping but cannot invoke Lambda: the rehearsal's own event
 * source mapping polls the queue and runs the forwarder, while moto's copy is Enabled.
 */
export function polledLocallyText(rehearsal: { readonly pid: number }, state: string | undefined): string {
  const polling =
    state === "Enabled"
      ? "Enabled, so it polls the queue and delivers"
      : state === "Disabled"
        ? "Disabled = paused, so it does not poll until webhook-queue resume"
        : `${state ?? "state unknown"}, so it polls only once the mapping is Enabled`;
  return `  polled by \`npm run local\`'s local event source mapping (pid ${rehearsal.pid}; moto cannot invoke Lambda): ${polling}`;
}

/** `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]` -> `<name>`; anything else unchanged. */
export function functionNameOfArn(arn: string | undefined): string {
  const parts = (arn ?? "").split(":");
  return parts[5] === "function" && parts[6] ? parts[6] : (arn ?? "an unknown function");
}

export type Switch = "pause" | "resume";

const SETTLED = ["Enabled", "Disabled"];

export interface SwitchOptions {
  /** How long to wait for the mapping to settle in the new state; 0: ask for the change and return. */
  readonly timeoutMs: number;
  /** Between two GetEventSourceMapping calls. */
  readonly intervalMs: number;
  /** Each state read while waiting, and the time waited so far. */
  readonly onState?: (state: string, waitedMs: number) => void;
}

export interface SwitchOutcome {
  readonly uuid: string;
  readonly functionArn?: string;
  readonly before: string;
  readonly after: string;
  /** False when the mapping was already in (or on its way to) the asked-for state: nothing was asked of Lambda. */
  readonly changed: boolean;
  readonly waitedSeconds: number;
}

/** Disabled for a pause, Enabled for a resume. */
export function targetState(action: Switch): "Enabled" | "Disabled" {
  return action === "pause" ? "Disabled" : "Enabled";
}

/** Disabling for a pause, Enabling for a resume: asked for already, Lambda is on its way. */
function transitionState(action: Switch): "Enabling" | "Disabling" {
  return action === "pause" ? "Disabling" : "Enabling";
}

/** Whether `action` asks Lambda for a change on a mapping in `state` (not there, nor on its way). */
export function needsSwitch(action: Switch, state: string | undefined): boolean {
  return state !== targetState(action) && state !== transitionState(action);
}

/**
 * Polls GetEventSourceMapping until `accept(state)`; a CliError naming the state when
 * `options.timeoutMs` runs out first, or when the mapping is being deleted.
 */
async function waitForState(
  lambda: LambdaClient,
  uuid: string,
  accept: (state: string) => boolean,
  options: SwitchOptions,
  startedAt: number,
): Promise<string> {
  for (;;) {
    const { State: state = "unknown" } = await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
    const waitedMs = Date.now() - startedAt;
    options.onState?.(state, waitedMs);
    if (accept(state)) return state;
    if (state === "Deleting") throw new CliError(`event source mapping ${uuid} is being deleted`);
    if (waitedMs + options.intervalMs > options.timeoutMs) {
      throw new CliError(
        `event source mapping ${uuid} is still ${state} after ${Math.round(waitedMs / 1000)} s; ` +
          "Lambda may take longer: check with webhook-queue status, or run the command again (it only waits when the change was asked for already)",
      );
    }
    await sleep(options.intervalMs);
  }
}

/**
 * Pauses (Enabled false) or resumes (Enabled true) one mapping and waits until Lambda reports
 * it Disabled or Enabled. A mapping already there, or on its way (Disabling for a pause), is
 * not updated again; one in another change (Updating, the opposite switch) is first let settle,
 * since Lambda refuses an update meanwhile.
 */
export async function switchMapping(
  lambda: LambdaClient,
  mapping: EventSourceMappingState,
  action: Switch,
  options: SwitchOptions,
): Promise<SwitchOutcome> {
  const uuid = mapping.uuid ?? "";
  const target = targetState(action);
  const toward = transitionState(action);
  const before = mapping.state ?? "unknown";
  const startedAt = Date.now();
  const outcome = (after: string, changed: boolean): SwitchOutcome => ({
    uuid,
    functionArn: mapping.functionArn,
    before,
    after,
    changed,
    waitedSeconds: Math.round((Date.now() - startedAt) / 1000),
  });
  if (before === target) return outcome(before, false);
  let state = before;
  if (state !== toward && !SETTLED.includes(state)) {
    state = await waitForState(lambda, uuid, (s) => SETTLED.includes(s) || s === toward, options, startedAt);
  }
  if (state === target) return outcome(state, false);
  const changed = state !== toward;
  if (changed) {
    const updated = await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: action === "resume" }));
    state = updated.State ?? toward;
  }
  if (options.timeoutMs === 0) return outcome(state, changed);
  return outcome(await waitForState(lambda, uuid, (s) => s === target, options, startedAt), changed);
}

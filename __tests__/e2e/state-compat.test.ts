/**
 * State compatibility with the article's Terraform: its stack, as plain HCL
 * (__tests__/fixtures/article), is applied to moto_server; then the project's synthesized
 * emulator stack is planned (`npm run plan`) against the very state that apply left. The
 * migration may create the project's new addresses and update the article's in place, as
 * listed below, and nothing else: no article address is created, destroyed or replaced.
 */
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { emulator as emulatorSettings } from "../../src/environments";
import { deterministicZip } from "../../src/forwarder/zip";
import { terraform } from "../../src/terraform/commands";
import { EXIT_OK } from "../../src/terraform/plan";
import { changedAttributes, classifyActions, formatReview, PlannedChange, TerraformPlanJson } from "../../src/terraform/plan-review";
import { Emulator, EXISTING_API_NAME, PROJECT_ROOT, npmRunPlan, parsePlanJson, secondsSince, startEmulator, stopEmulator } from "./harness";
import { describeWithTerraform } from "./prerequisites";

const ARTICLE_FIXTURE = join(PROJECT_ROOT, "__tests__", "fixtures", "article");

/** The in-place updates the migration is meant to make, and every attribute each one changes. */
const INTENDED_UPDATES: Record<string, readonly string[]> = {
  // The article's Python handler becomes the Node.js forwarder: code, handler, runtime and
  // its routing environment; last_modified is computed and follows any code change.
  "aws_lambda_function.webhook_event_producer": ["environment", "filename", "handler", "last_modified", "runtime", "source_code_hash"],
  // Partial batch responses: a failed record no longer sends the whole batch back.
  "aws_lambda_event_source_mapping.webhook_event_producer_mapping": ["function_response_types"],
};

/** Stands in for the article's Python handler (data.archive_file cannot run offline). */
const PYTHON_HANDLER = `import json


def lambda_handler(event, context):
    for record in event["Records"]:
        print(json.dumps({"group": record["attributes"]["MessageGroupId"], "body": record["body"]}))
`;

const APPLY_TIMEOUT_MS = 10 * 60_000;

/** `address.attribute: before -> after` for every in-place update, values shortened. */
function describeUpdates(plan: TerraformPlanJson): string {
  const show = (value: unknown) => {
    const text = value === undefined ? "(known after apply)" : JSON.stringify(value);
    return text.length > 110 ? `${text.slice(0, 107)}...` : text;
  };
  return (plan.resource_changes ?? [])
    .filter((resource) => classifyActions(resource.change.actions) === "update")
    .flatMap((resource) => {
      const before = resource.change.before as Record<string, unknown>;
      const after = resource.change.after as Record<string, unknown>;
      return changedAttributes(resource.change).map((name) => `  ${resource.address}.${name}: ${show(before[name])} -> ${show(after[name])}`);
    })
    .join("\n");
}

describeWithTerraform("the synthesized stack planned against the article's applied state", () => {
  let emulator: Emulator;
  /** Managed resources in the state the article's HCL left (the fixed list is in __tests__/webhook-queue-stack.test.ts). */
  let articleAddresses: string[];
  /** Managed resources of the synthesized emulator stack. */
  let stackAddresses: string[];
  let review: ReturnType<typeof parsePlanJson>;
  let planExitCode: number;
  const timings: string[] = [];

  beforeAll(async () => {
    emulator = await startEmulator("state-compat");
    const articleDir = join(emulator.workDir, "article");
    cpSync(ARTICLE_FIXTURE, articleDir, { recursive: true });
    const handlerZip = join(articleDir, "webhook_event_producer.zip");
    writeFileSync(handlerZip, deterministicZip([{ name: "webhook_event_producer.py", data: Buffer.from(PYTHON_HANDLER) }]));
    writeFileSync(
      join(articleDir, "emulator.tfvars.json"),
      JSON.stringify({
        apigw_name: EXISTING_API_NAME,
        emulator_endpoint: emulator.moto.endpoint,
        // The emulator stack's tags, so that a tag difference does not hide in the plan.
        default_tags: emulatorSettings(emulator.env).defaultTags,
        webhook_event_producer_zip: handlerZip,
      }),
    );

    const applyStartedAt = performance.now();
    await terraform(["init", "-input=false", "-no-color"], { cwd: articleDir });
    await terraform(["apply", "-auto-approve", "-input=false", "-no-color", "-var-file=emulator.tfvars.json"], { cwd: articleDir });
    timings.push(`article apply ${secondsSince(applyStartedAt)} s`);
    const state = JSON.parse((await terraform(["show", "-json", "-no-color"], { cwd: articleDir })).stdout) as {
      values: { root_module: { resources: { address: string; mode: string }[] } };
    };
    articleAddresses = state.values.root_module.resources.filter((r) => r.mode === "managed").map((r) => r.address).sort();

    // The emulator stack's local backend is pointed at the article's state file itself.
    const planStartedAt = performance.now();
    const result = await npmRunPlan(["emulator", "--output", emulator.outDir, "--json"], {
      ...emulator.env,
      WEBHOOK_QUEUE_EMULATOR_STATE: join(articleDir, "terraform.tfstate"),
    });
    timings.push(`synth + plan against it ${secondsSince(planStartedAt)} s`);
    review = parsePlanJson(result);
    planExitCode = result.code;
    const synthesized = JSON.parse(readFileSync(join(review.stackDir, "cdk.tf.json"), "utf8")) as { resource: Record<string, Record<string, unknown>> };
    stackAddresses = Object.entries(synthesized.resource).flatMap(([type, resources]) => Object.keys(resources).map((name) => `${type}.${name}`)).sort();
    const plan = JSON.parse((await terraform(["show", "-json", "-no-color", review.planFile], { cwd: review.stackDir, env: emulator.env })).stdout) as TerraformPlanJson;
    console.log(`The migration from the article's state, as npm run plan reviews it:\n${formatReview(review)}\n\nIn-place updates:\n${describeUpdates(plan)}`);
  }, APPLY_TIMEOUT_MS);

  afterAll(async () => {
    console.log(`e2e state-compat timings: ${timings.join(", ")}`);
    await stopEmulator(emulator);
  }, 30_000);

  const byAction = (action: PlannedChange["action"]) => review.changes.filter((change) => change.action === action);

  test("the article's HCL applies to moto_server, and each of its addresses is one of the synthesized stack's", () => {
    expect(articleAddresses).toEqual(expect.arrayContaining(["aws_sqs_queue.webhook_queue", "aws_sqs_queue.webhook_dlq", "aws_lambda_function.webhook_event_producer"]));
    expect(stackAddresses).toEqual(expect.arrayContaining(articleAddresses));
  });

  test("no article address is created, destroyed or replaced, and the plan passes review", () => {
    const touched = review.changes.filter((change) => articleAddresses.includes(change.address));
    expect(touched.filter((change) => change.action !== "update")).toEqual([]);
    expect(review.counts).toMatchObject({ replace: 0, delete: 0, forget: 0 });
    expect(review.queueLosses).toEqual([]);
    expect(planExitCode).toBe(EXIT_OK);
  });

  test("it creates what the project adds to the article (alarm topic, alarms, redrive allow policy), and nothing else", () => {
    const added = stackAddresses.filter((address) => !articleAddresses.includes(address));
    expect(byAction("create").map((change) => change.address)).toEqual(added);
    expect(new Set(added.map((address) => address.split(".")[0]))).toEqual(
      new Set(["aws_sns_topic", "aws_cloudwatch_metric_alarm", "aws_sqs_queue_redrive_allow_policy"]),
    );
  });

  test("its in-place updates are the intended ones: the forwarder's code, runtime, handler and environment, and partial batch responses", () => {
    const updates = Object.fromEntries(byAction("update").map((change) => [change.address, change.attributes]));
    expect(updates).toEqual(INTENDED_UPDATES);
  });
});

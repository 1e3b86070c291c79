/**
 * State compatibility with the article's Terraform as its repository deploys it: its stack,
 * as plain HCL (__tests__/fixtures/article, the dummy application module and default tags
 * included), is applied to moto_server; then the project's synthesized emulator stack is
 * planned (`npm run plan`) against the very state that apply left. The migration may create
 * the project's new addresses, move the module's resources to the root module, update in
 * place as listed below, and replace the one Lambda permission whose source ARN narrows;
 * nothing else: nothing destroyed, no tag changed.
 */
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deterministicZip } from "../../src/infrastructure/bundling/zip";
import { terraform } from "../../src/operations/terraform/terraform";
import { EXIT_OK } from "../../src/operations/shared/exit-codes";
import { changedAttributes, classifyActions, formatReview, PlannedChange, TerraformPlanJson } from "../../src/operations/plan/review";
import {
  Emulator,
  EXISTING_API_NAME,
  PROJECT_ROOT,
  npmRunPlan,
  parsePlanJson,
  secondsSince,
  startEmulator,
  stopEmulator,
} from "../support/emulator-harness";
import { describeWithTerraform } from "../support/describe-with-terraform";
import { APPLICATION_MODULE_ADDRESSES } from "../support/fixed-addresses";

const ARTICLE_FIXTURE = join(PROJECT_ROOT, "__tests__", "fixtures", "article");

/** The in-place updates the migration is meant to make, and every attribute each one changes. */
const INTENDED_UPDATES: Record<string, readonly string[]> = {
  // The article's Python handler becomes the Node.js forwarder: code, handler, runtime and
  // its routing environment; last_modified is computed and follows any code change.
  "aws_lambda_function.webhook_event_producer": [
    "environment",
    "filename",
    "handler",
    "last_modified",
    // Concurrency of its own, the mapping's maximum: a flood elsewhere in the account cannot starve it.
    "reserved_concurrent_executions",
    "runtime",
    "source_code_hash",
  ],
  // Every delivery is queued (the request ID as deduplication ID, no merge of identical bodies),
  // with the source, webhook ID and receive time as message attributes.
  "aws_apigatewayv2_integration.webhook_event_producer": ["request_parameters"],
  // The forwarder's role gains the quarantine policy (send to the quarantine queue), the invoke
  // policy (the application's route, IAM-authorized) and the retry policy (dead letters, held
  // groups), held exclusively as before.
  "aws_iam_role_policies_exclusive.webhook_event_producer_execution_role_policies": ["policy_names"],
  // Each role's trust: the service, for this account and the resource it acts for (confused deputy).
  "aws_iam_role.webhook_event_producer_role": ["assume_role_policy"],
  "aws_iam_role.webhook_event_producer_execution_role": ["assume_role_policy"],
  "aws_iam_role.webhook_application_role": ["assume_role_policy"],
  // The application's route lets in only the forwarder's role (IAM authorization), in place.
  "aws_apigatewayv2_route.webhook_application": ["authorization_type"],
  // Its log group no longer keeps every request forever.
  "aws_cloudwatch_log_group.webhook_application": ["retention_in_days"],
  // Retries inside the queue: SQS's maxReceiveCount becomes a backstop above the retry budget (1 -> 70).
  "aws_sqs_queue.webhook_queue": ["redrive_policy"],
  // Partial batch responses: a failed record no longer sends the whole batch back.
  "aws_lambda_event_source_mapping.webhook_event_producer_mapping": ["function_response_types"],
  // The dummy application: the Python handler becomes the bundled Node.js one (with its log level).
  "aws_lambda_function.webhook_application": ["environment", "filename", "handler", "last_modified", "runtime", "source_code_hash"],
  // Least privilege: no lambda:InvokeFunction on *, logs only on its own log group.
  "aws_iam_role_policy.webhook_application_execution_policy": ["policy"],
  "aws_iam_role_policy.webhook_application_logging_policy": ["policy"],
};

/** Stands in for the article's Python handler (data.archive_file cannot run offline). */
const PYTHON_APPLICATION = `import json


def lambda_handler(event, context):
    print(json.dumps({"body": event.get("body")}))
    return {"statusCode": 200, "body": "ok"}
`;

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
    const applicationZip = join(articleDir, "webhook_application.zip");
    writeFileSync(applicationZip, deterministicZip([{ name: "webhook_application.py", data: Buffer.from(PYTHON_APPLICATION) }]));
    writeFileSync(
      join(articleDir, "emulator.tfvars.json"),
      JSON.stringify({
        apigw_name: EXISTING_API_NAME,
        emulator_endpoint: emulator.moto.endpoint,
        webhook_event_producer_zip: handlerZip,
        webhook_application_zip: applicationZip,
      }),
    );

    const applyStartedAt = performance.now();
    await terraform(["init", "-input=false", "-no-color"], { cwd: articleDir });
    await terraform(["apply", "-auto-approve", "-input=false", "-no-color", "-var-file=emulator.tfvars.json"], { cwd: articleDir });
    timings.push(`article apply ${secondsSince(applyStartedAt)} s`);
    type StateModule = { resources?: { address: string; mode: string }[]; child_modules?: StateModule[] };
    const state = JSON.parse((await terraform(["show", "-json", "-no-color"], { cwd: articleDir })).stdout) as {
      values: { root_module: StateModule };
    };
    const managed = (module: StateModule): string[] => [
      ...(module.resources ?? []).filter((r) => r.mode === "managed").map((r) => r.address),
      ...(module.child_modules ?? []).flatMap(managed),
    ];
    articleAddresses = managed(state.values.root_module).sort();

    // The emulator stack's local backend is pointed at the article's state file itself.
    const planStartedAt = performance.now();
    const result = await npmRunPlan(["emulator", "--output", emulator.outDir, "--json"], {
      ...emulator.env,
      WEBHOOK_QUEUE_EMULATOR_STATE: join(articleDir, "terraform.tfstate"),
    });
    timings.push(`synth + plan against it ${secondsSince(planStartedAt)} s`);
    review = parsePlanJson(result);
    planExitCode = result.code;
    const synthesized = JSON.parse(readFileSync(join(review.stackDir, "cdk.tf.json"), "utf8")) as {
      resource: Record<string, Record<string, unknown>>;
    };
    stackAddresses = Object.entries(synthesized.resource)
      .flatMap(([type, resources]) => Object.keys(resources).map((name) => `${type}.${name}`))
      .sort();
    const plan = JSON.parse(
      (await terraform(["show", "-json", "-no-color", review.planFile], { cwd: review.stackDir, env: emulator.env })).stdout,
    ) as TerraformPlanJson;
    console.log(
      `The migration from the article's state, as npm run plan reviews it:\n${formatReview(review)}\n\nIn-place updates:\n${describeUpdates(plan)}`,
    );
  }, APPLY_TIMEOUT_MS);

  afterAll(async () => {
    console.log(`e2e state-compat timings: ${timings.join(", ")}`);
    await stopEmulator(emulator);
  }, 30_000);

  const byAction = (action: PlannedChange["action"]) => review.changes.filter((change) => change.action === action);

  /** Where each of the article's addresses lives in the synthesized stack: the module's in the root module. */
  const inStack = (address: string) => address.replace(/^module\.webhook_application\./, "");

  test("the article's HCL applies to moto_server with 23 managed resources, 9 in module.webhook_application, each one of the stack's", () => {
    expect(articleAddresses).toHaveLength(23);
    expect(articleAddresses.filter((address) => address.startsWith("module.webhook_application."))).toEqual(
      APPLICATION_MODULE_ADDRESSES.map((address) => `module.webhook_application.${address}`),
    );
    expect(stackAddresses).toEqual(expect.arrayContaining(articleAddresses.map(inStack)));
  });

  test("the module's 9 resources are moved, not destroyed or created", () => {
    const expected = APPLICATION_MODULE_ADDRESSES.map((address) => ({ from: `module.webhook_application.${address}`, to: address }));
    expect(review.moves).toHaveLength(9);
    expect(review.moves).toEqual(expect.arrayContaining(expected));
    expect(formatReview(review)).toMatch(
      /Moved to a new address[^]*\n {2}module\.webhook_application\.aws_lambda_function\.webhook_application +-> aws_lambda_function\.webhook_application\n/,
    );
    expect(review.counts).toMatchObject({ delete: 0, forget: 0 });
  });

  test("nothing is destroyed; the one replacement is the Lambda permission whose source ARN narrows to the route; the plan passes review", () => {
    expect(byAction("replace")).toEqual([
      expect.objectContaining({
        address: "aws_lambda_permission.webhook_application",
        forcedBy: ["source_arn"],
        movedFrom: "module.webhook_application.aws_lambda_permission.webhook_application",
      }),
    ]);
    const touched = review.changes.filter((change) => articleAddresses.map(inStack).includes(change.address));
    expect(touched.filter((change) => change.action !== "update" && change.action !== "replace")).toEqual([]);
    expect(review.queueLosses).toEqual([]);
    expect(planExitCode).toBe(EXIT_OK);
    expect(formatReview(review)).toMatch(
      /-\/\+ replace aws_lambda_permission\.webhook_application +forced by source_arn; .*\(no data lost: aws_lambda_permission holds none\)/,
    );
  });

  test("it creates what the project adds to the article (alarm topic, alarms, redrive allow policy, quarantine queue and policy, invoke policy, held-groups table and retry policy, dashboard), and nothing else", () => {
    const added = stackAddresses.filter((address) => !articleAddresses.map(inStack).includes(address));
    expect(
      byAction("create")
        .map((change) => change.address)
        .sort(),
    ).toEqual(added);
    expect(new Set(added.map((address) => address.split(".")[0]))).toEqual(
      new Set([
        "aws_sns_topic",
        "aws_cloudwatch_metric_alarm",
        "aws_cloudwatch_dashboard",
        "aws_sqs_queue_redrive_allow_policy",
        "aws_iam_role_policy",
        "aws_sqs_queue",
        "aws_dynamodb_table",
      ]),
    );
    expect(added.filter((address) => address.startsWith("aws_sqs_queue."))).toEqual(["aws_sqs_queue.webhook_quarantine"]);
  });

  test("its in-place updates are the intended ones (code, runtime, handlers, environments, least-privilege policies), and no tag changes", () => {
    const updates = Object.fromEntries(byAction("update").map((change) => [change.address, change.attributes]));
    expect(updates).toEqual(INTENDED_UPDATES);
  });
});

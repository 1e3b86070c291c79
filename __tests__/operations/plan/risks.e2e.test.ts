/**
 * The "messages at risk" review on plans terraform really made: the emulator stack is
 * deployed into moto_server once (beforeAll), then each risky change is planned against
 * that state and reviewed.
 *
 * - Lowering the DLQ's retention goes through the stack's own variable
 *   (`-var 'webhook={dlq_retention_second=3600}'`) and `npm run plan` itself.
 * - The other changes have no variable: they are planned from modified copies of the
 *   synthesized cdk.tf.json (the `redrive_policy` cleared or removed, the mapping's
 *   `enabled: false`, the mapping or the log group removed or replaced, a `removed` block
 *   that forgets the DLQ, a queue renamed, `prevent_destroy` set as mz-dev sets it, the
 *   mapping's filter and response types, the forwarder's concurrency and RETRY_POLICY, the
 *   queues' redrive policy and KMS keys, the ingress route removed), some with `-replace`.
 *   Changes to different resources share a plan: each plan costs ~10 s of CPU, mostly the
 *   provider's start-up. Editing the synthesized JSON stands for the settings or code change
 *   that would synthesize it; the copy shares the stack's state file (the local backend's
 *   absolute path), assets and `.terraform`, so terraform plans it against what is deployed.
 * - What a change lowers or takes away must be deployed first (a retry policy, a higher
 *   maxReceiveCount, a KMS key, a paused mapping): those plans take a copy of the deployed
 *   state with these attributes set (`-state=<copy>`, the local backend's own override), which
 *   stands for a stack deployed that way, without applying it (an apply of queue attributes
 *   costs the provider's waits).
 *
 * Plans use -refresh=false: the deploy has just written the state, and the emulator drifts
 * in nothing (__tests__/operations/emulator/deploy.e2e.test.ts).
 */
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EXIT_BLOCKED, EXIT_OK } from "../../../src/operations/shared/exit-codes";
import { CommandError } from "../../../src/operations/shared/run";
import { DeployedValues, readDeployedValues } from "../../../src/operations/shared/stack-files";
import { cdktf, terraform, terraformJson } from "../../../src/operations/terraform/terraform";
import { formatReview, MessageRisk, PlanReview, reviewPlan, TerraformPlanJson } from "../../../src/operations/plan/review";
import { FORWARDER_ENV } from "../../../lambda/forwarder/contract";
import { describeWithTerraform } from "../../support/describe-with-terraform";
import { Emulator, npmRunPlan, parsePlanJson, secondsSince, startEmulator, stopEmulator } from "../../support/emulator-harness";

const DEPLOY_TIMEOUT_MS = 10 * 60_000;
const PLAN_TIMEOUT_MS = 2 * 60_000;

const QUEUE = "aws_sqs_queue.webhook_queue";
const DLQ = "aws_sqs_queue.webhook_dlq";
const MAPPING = "aws_lambda_event_source_mapping.webhook_event_producer_mapping";
const LOG_GROUP = "aws_cloudwatch_log_group.webhook_event_producer";
const QUARANTINE = "aws_sqs_queue.webhook_quarantine";
const FORWARDER = "aws_lambda_function.webhook_event_producer";
const INGRESS_ROUTE = "aws_apigatewayv2_route.webhook_event_route";
const INGRESS_INTEGRATION = "aws_apigatewayv2_integration.webhook_event_producer";
const APPLICATION_ROUTE = "aws_apigatewayv2_route.webhook_application";

const retryPolicy = (maxAgeSeconds: number) => JSON.stringify({ maxAgeSeconds, initialDelaySeconds: 5, maxDelaySeconds: 300 });

type Resource = Record<string, unknown>;

/** A deployed attribute's value as an HCL literal: `"text"`, `42`, `true`. */
function hclLiteral(value: unknown, attribute: string): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw new Error(`aws_sqs_queue.webhook_dlq.${attribute} is ${JSON.stringify(value)}: not a literal this test can write`);
}
interface StackJson {
  resource: Record<string, Record<string, Resource>>;
  removed?: unknown[];
  [block: string]: unknown;
}

/** A local state file (version 4): the parts this test edits. */
interface StateJson {
  resources: { mode: string; type: string; name: string; instances: { attributes: Resource }[] }[];
}

/** A function's environment variables, in the configuration (`environment` a block object) or the state (a list of one). */
function variablesOf(values: Resource): Record<string, unknown> {
  const environment = (Array.isArray(values.environment) ? values.environment[0] : values.environment) as { variables: Record<string, unknown> };
  return environment.variables;
}

describeWithTerraform("the plan review's messages-at-risk rules on real plans of the deployed emulator stack", () => {
  let emulator: Emulator;
  let stackDir: string;
  let synthesized: string;
  let deployed: DeployedValues;
  const timings: string[] = [];
  let variants = 0;

  beforeAll(async () => {
    emulator = await startEmulator("risks");
    const startedAt = performance.now();
    await cdktf(["deploy", "emulator", "--auto-approve", "--skip-provider-lock", "--output", emulator.outDir], { env: emulator.env });
    timings.push(`cdktf deploy ${secondsSince(startedAt)} s`);
    stackDir = join(emulator.outDir, "stacks", "emulator");
    synthesized = readFileSync(join(stackDir, "cdk.tf.json"), "utf8");
    deployed = await readDeployedValues(stackDir, emulator.env);
  }, DEPLOY_TIMEOUT_MS);

  afterAll(async () => {
    console.log(`e2e plan-risk timings: ${timings.join(", ")}`);
    await stopEmulator(emulator);
  }, 30_000);

  /** The synthesized stack, changed by `edit`, in a folder of its own next to the stack's. */
  const variant = (label: string, edit: (stack: StackJson) => void): string => {
    const dir = join(emulator.workDir, `variant-${++variants}-${label.replace(/\W+/g, "-")}`);
    mkdirSync(dir);
    const stack = JSON.parse(synthesized) as StackJson;
    edit(stack);
    writeFileSync(join(dir, "cdk.tf.json"), JSON.stringify(stack, null, 2));
    symlinkSync(join(stackDir, "assets"), join(dir, "assets"));
    symlinkSync(join(stackDir, ".terraform"), join(dir, ".terraform"));
    copyFileSync(join(stackDir, ".terraform.lock.hcl"), join(dir, ".terraform.lock.hcl"));
    return dir;
  };

  /** terraform plan (+ show -json) in `dir`, timed; the plan JSON. */
  const plan = async (label: string, dir: string, args: readonly string[] = []): Promise<TerraformPlanJson> => {
    const startedAt = performance.now();
    const planFile = join(dir, "plan.tfplan");
    await terraform(["plan", "-input=false", "-no-color", "-refresh=false", "-lock-timeout=60s", `-out=${planFile}`, ...args], {
      cwd: dir,
      env: emulator.env,
    });
    const json = await terraformJson<TerraformPlanJson>(dir, ["show", "-json", planFile], emulator.env);
    timings.push(`${label} ${secondsSince(startedAt)} s`);
    return json;
  };

  /**
   * A copy of the deployed state in `dir`, with `edits` applied to the attributes of the
   * resources they name: what a plan given `-state=<copy>` takes as deployed.
   */
  const deployedAs = (dir: string, edits: Record<string, (attributes: Resource) => void>): string => {
    const state = JSON.parse(readFileSync(emulator.stateFile, "utf8")) as StateJson;
    for (const [address, edit] of Object.entries(edits)) {
      const [type, name] = address.split(".");
      const found = state.resources.find((candidate) => candidate.mode === "managed" && candidate.type === type && candidate.name === name);
      if (!found) throw new Error(`${address} is not in the deployed state ${emulator.stateFile}`);
      edit(found.instances[0].attributes);
    }
    const file = join(dir, "deployed.tfstate");
    writeFileSync(file, JSON.stringify(state, null, 2));
    return file;
  };

  const planVariant = async (label: string, edit: (stack: StackJson) => void, args: readonly string[] = []) =>
    plan(label, variant(label, edit), args);

  const resource = (stack: StackJson, address: string): Resource => {
    const [type, name] = address.split(".");
    return stack.resource[type][name];
  };

  /** Removes a resource (and its type's block when it was the last: terraform refuses an empty one) and every depends_on naming it. */
  const removeResource = (stack: StackJson, address: string) => {
    const [type, name] = address.split(".");
    delete stack.resource[type][name];
    if (Object.keys(stack.resource[type]).length === 0) delete stack.resource[type];
    for (const resources of Object.values(stack.resource)) {
      for (const other of Object.values(resources)) {
        if (Array.isArray(other.depends_on)) other.depends_on = other.depends_on.filter((dependency) => dependency !== address);
      }
    }
  };

  const actionsOf = (json: TerraformPlanJson, address: string) => json.resource_changes?.find((change) => change.address === address)?.change.actions;
  const risksOf = (review: PlanReview) => review.risks.map((risk) => [risk.rule, risk.address, risk.attribute]);
  /** [rule, address, attribute] of each finding, in rule order. */
  const sortedRisks = (review: PlanReview) => risksOf(review).sort(([a], [b]) => String(a).localeCompare(String(b)));
  const riskOf = (review: PlanReview, rule: string): MessageRisk => {
    const found = review.risks.find((risk) => risk.rule === rule);
    if (!found) throw new Error(`no ${rule} finding in ${JSON.stringify(risksOf(review))}`);
    return found;
  };
  const only = (review: PlanReview): MessageRisk => {
    expect(review.risks).toHaveLength(1);
    return review.risks[0];
  };

  test(
    "lowering the DLQ's retention (-var webhook={dlq_retention_second=3600}): npm run plan exits 3 naming it; --allow-risk lets it through",
    async () => {
      const lower = ["--skip-synth", "--output", emulator.outDir, "--", "-refresh=false", "-var=webhook={dlq_retention_second=3600}"];
      let startedAt = performance.now();
      const blocked = await npmRunPlan(["emulator", "--json", ...lower], emulator.env);
      timings.push(`npm run plan (retention) ${secondsSince(startedAt)} s`);
      const review = parsePlanJson(blocked);
      expect(review.risks).toEqual([
        expect.objectContaining({
          rule: "retention-lowered",
          address: DLQ,
          attribute: "message_retention_seconds",
          before: "345600 s (4 d)",
          after: "3600 s (1 h)",
          flag: "--allow-risk",
          allowed: false,
        }),
      ]);
      expect(blocked.stderr).toMatch(
        /MESSAGES AT RISK \(1\):\n {2}aws_sqs_queue\.webhook_dlq: message_retention_seconds 345600 s \(4 d\) -> 3600 s \(1 h\): SQS applies a lowered retention to messages already queued: any older than 1 h expire at once\. This is the dead-letter queue/,
      );
      expect(blocked.stderr).toMatch(
        /BLOCKED: 1 change\(s\) put queued messages at risk \(MESSAGES AT RISK above\): aws_sqs_queue\.webhook_dlq\.\n[^]*--allow-risk/,
      );
      expect(blocked.code).toBe(EXIT_BLOCKED);
      console.log(`npm run plan with the DLQ's retention lowered:\n${blocked.stderr}`);

      startedAt = performance.now();
      const allowed = await npmRunPlan(["emulator", "--allow-risk", ...lower], emulator.env);
      timings.push(`npm run plan --allow-risk ${secondsSince(startedAt)} s`);
      expect(allowed.stdout).toMatch(/\[allowed by --allow-risk\]/);
      expect(allowed.stdout).toMatch(/ALLOWED by --allow-risk: 1 change\(s\)/);
      expect(allowed.code).toBe(EXIT_OK);
    },
    2 * PLAN_TIMEOUT_MS,
  );

  test(
    "no finding: retention raised, the redrive policy kept (its maxReceiveCount raised), the mapping updated but still enabled, the forwarder's reserved concurrency 5",
    async () => {
      // max_receive_count 100: above the retry budget's backstop (70), so the queue's maxReceiveCount rises.
      const json = await plan("plan (safe changes)", stackDir, [
        "-var=webhook={dlq_retention_second=1209600,max_receive_count=100,max_concurrency=5}",
      ]);
      expect(actionsOf(json, DLQ)).toEqual(["update"]);
      expect(actionsOf(json, QUEUE)).toEqual(["update"]);
      expect(actionsOf(json, MAPPING)).toEqual(["update"]);
      expect(actionsOf(json, FORWARDER)).toEqual(["update"]);
      const review = reviewPlan(json);
      expect(review.risks).toEqual([]);
      expect(review.blocked).toBe(false);
    },
    PLAN_TIMEOUT_MS,
  );

  test(
    'changed in place: the redrive policy cleared ("{}") and the mapping disabled (enabled: false), each flagged with its attribute, nothing else',
    async () => {
      const json = await planVariant("redrive cleared, mapping disabled", (stack) => {
        resource(stack, QUEUE).redrive_policy = "{}";
        resource(stack, MAPPING).enabled = false;
      });
      expect(actionsOf(json, QUEUE)).toEqual(["update"]);
      expect(actionsOf(json, MAPPING)).toEqual(["update"]);
      const review = reviewPlan(json);
      expect(sortedRisks(review)).toEqual([
        ["mapping-disabled", MAPPING, "enabled"],
        ["redrive-removed", QUEUE, "redrive_policy"],
      ]);
      const cleared = riskOf(review, "redrive-removed");
      expect(cleared).toMatchObject({ after: "{}" });
      expect(cleared.before).toContain(deployed.get(DLQ)?.arn as string);
      expect(riskOf(review, "mapping-disabled")).toMatchObject({ before: "true", after: "false" });
    },
    PLAN_TIMEOUT_MS,
  );

  test(
    "removed from the code: the redrive policy (Optional + Computed: terraform keeps the deployed value, no change), the mapping and the forwarder's log group (both flagged)",
    async () => {
      const json = await planVariant("redrive, mapping and log group removed", (stack) => {
        delete resource(stack, QUEUE).redrive_policy;
        removeResource(stack, MAPPING);
        removeResource(stack, LOG_GROUP);
      });
      expect(actionsOf(json, QUEUE)).toEqual(["no-op"]);
      expect(actionsOf(json, MAPPING)).toEqual(["delete"]);
      expect(actionsOf(json, LOG_GROUP)).toEqual(["delete"]);
      const review = reviewPlan(json);
      expect(sortedRisks(review)).toEqual([
        ["log-group-destroyed", LOG_GROUP, "(resource)"],
        ["mapping-destroyed", MAPPING, "(resource)"],
      ]);
      expect(riskOf(review, "log-group-destroyed").why).toMatch(/^the forwarder's logs/);
    },
    PLAN_TIMEOUT_MS,
  );

  test(
    "pointed elsewhere: the redrive policy at another DLQ (both ARNs), the mapping at another queue and the log group renamed (both replaced), each flagged",
    async () => {
      const otherDlq = "arn:aws:sqs:ap-northeast-1:123456789012:another-dlq.fifo";
      const json = await planVariant("redrive retargeted, mapping and log group replaced", (stack) => {
        resource(stack, QUEUE).redrive_policy = JSON.stringify({ deadLetterTargetArn: otherDlq, maxReceiveCount: 70 });
        resource(stack, MAPPING).event_source_arn = "arn:aws:sqs:ap-northeast-1:123456789012:another-queue.fifo";
        resource(stack, LOG_GROUP).name = "/aws/lambda/renamed";
      });
      expect(actionsOf(json, QUEUE)).toEqual(["update"]);
      expect(actionsOf(json, MAPPING)).toEqual(["delete", "create"]);
      expect(actionsOf(json, LOG_GROUP)).toEqual(["delete", "create"]);
      const review = reviewPlan(json);
      expect(sortedRisks(review)).toEqual([
        ["log-group-replaced", LOG_GROUP, "name"],
        ["mapping-replaced", MAPPING, "event_source_arn"],
        ["redrive-target-changed", QUEUE, "redrive_policy.deadLetterTargetArn"],
      ]);
      expect(riskOf(review, "redrive-target-changed")).toMatchObject({ before: deployed.get(DLQ)?.arn, after: otherDlq });
      expect(riskOf(review, "log-group-replaced")).toMatchObject({
        before: "/aws/lambda/mz-dev-webhook-event-producer",
        after: "/aws/lambda/renamed",
      });
    },
    PLAN_TIMEOUT_MS,
  );

  test(
    "the delivery side: the mapping filtered and without partial batch responses, the forwarder throttled and its retries removed, the ingress route removed and its integration replaced, each flagged; the application's route replaced is not",
    async () => {
      const pattern = JSON.stringify({ body: { action: ["opened"] } });
      const dir = variant("delivery side", (stack) => {
        const mapping = resource(stack, MAPPING);
        mapping.filter_criteria = { filter: [{ pattern }] };
        delete mapping.function_response_types;
        const forwarder = resource(stack, FORWARDER);
        forwarder.reserved_concurrent_executions = 0;
        delete variablesOf(forwarder)[FORWARDER_ENV.retryPolicy];
        removeResource(stack, INGRESS_ROUTE);
      });
      const state = deployedAs(dir, { [FORWARDER]: (attributes) => (variablesOf(attributes)[FORWARDER_ENV.retryPolicy] = retryPolicy(3600)) });
      const json = await plan("delivery side", dir, [`-state=${state}`, `-replace=${INGRESS_INTEGRATION}`, `-replace=${APPLICATION_ROUTE}`]);
      expect(actionsOf(json, MAPPING)).toEqual(["update"]);
      expect(actionsOf(json, FORWARDER)).toEqual(["update"]);
      expect(actionsOf(json, INGRESS_ROUTE)).toEqual(["delete"]);
      expect(actionsOf(json, INGRESS_INTEGRATION)).toEqual(["delete", "create"]);
      expect(actionsOf(json, APPLICATION_ROUTE)).toEqual(["delete", "create"]);
      const review = reviewPlan(json);
      expect(sortedRisks(review)).toEqual([
        ["forwarder-throttled", FORWARDER, "reserved_concurrent_executions"],
        ["ingress-destroyed", INGRESS_ROUTE, "(resource)"],
        ["ingress-replaced", INGRESS_INTEGRATION, "(resource)"],
        ["mapping-filter-changed", MAPPING, "filter_criteria"],
        ["partial-batch-response-removed", MAPPING, "function_response_types"],
        ["retry-policy-removed", FORWARDER, "environment.variables.RETRY_POLICY"],
      ]);
      expect(review.risks.every((risk) => risk.flag === "--allow-risk")).toBe(true);
      expect(riskOf(review, "forwarder-throttled")).toMatchObject({ before: "2", after: "0" });
      expect(riskOf(review, "mapping-filter-changed")).toMatchObject({ before: "(none)", after: pattern });
      expect(riskOf(review, "partial-batch-response-removed")).toMatchObject({ before: '["ReportBatchItemFailures"]' });
      expect(riskOf(review, "retry-policy-removed")).toMatchObject({ before: retryPolicy(3600), after: "(none)" });
      expect(riskOf(review, "ingress-destroyed").why).toMatch(/^API Gateway answers POST \/sqs-hook with 404/);
      expect(riskOf(review, "ingress-replaced")).toMatchObject({
        after: "replaced (-replace)",
        why: expect.stringMatching(/^the SQS-SendMessage integration behind POST \/sqs-hook is deleted and created again/),
      });
      const text = formatReview(review);
      expect(text).toMatch(/-\/\+ replace aws_apigatewayv2_route\.webhook_application .*\(no data lost: aws_apigatewayv2_route holds none\)\n/);
      expect(text).toMatch(/-\/\+ replace aws_apigatewayv2_integration\.webhook_event_producer .*\(see MESSAGES AT RISK\)\n/);
      expect(text).toMatch(/\nMESSAGES AT RISK \(6\):\n/);
    },
    PLAN_TIMEOUT_MS,
  );

  test(
    "the queue side, from a state deployed with retries, maxReceiveCount 5, KMS keys and the mapping paused: the retry budget and maxReceiveCount lowered, both keys changed, the ingress route replaced (each flagged), and the mapping resumed (a note)",
    async () => {
      const oldDlqKey = "arn:aws:kms:ap-northeast-1:123456789012:key/0b1d2c3e-old-dlq-key";
      const dir = variant("queue side", (stack) => {
        variablesOf(resource(stack, FORWARDER))[FORWARDER_ENV.retryPolicy] = retryPolicy(600);
        resource(stack, QUEUE).redrive_policy = '${jsonencode({"deadLetterTargetArn" = aws_sqs_queue.webhook_dlq.arn, "maxReceiveCount" = 2})}';
        const dlq = resource(stack, DLQ);
        delete dlq.kms_master_key_id;
        dlq.sqs_managed_sse_enabled = true;
        const quarantine = resource(stack, QUARANTINE);
        delete quarantine.sqs_managed_sse_enabled;
        quarantine.kms_master_key_id = "alias/new-quarantine-key";
        resource(stack, MAPPING).enabled = true;
      });
      const state = deployedAs(dir, {
        [FORWARDER]: (attributes) => (variablesOf(attributes)[FORWARDER_ENV.retryPolicy] = retryPolicy(3600)),
        [QUEUE]: (attributes) =>
          (attributes.redrive_policy = JSON.stringify({ ...JSON.parse(attributes.redrive_policy as string), maxReceiveCount: 5 })),
        [DLQ]: (attributes) => Object.assign(attributes, { kms_master_key_id: oldDlqKey, sqs_managed_sse_enabled: false }),
        [QUARANTINE]: (attributes) => Object.assign(attributes, { kms_master_key_id: "alias/old-quarantine-key", sqs_managed_sse_enabled: false }),
        [MAPPING]: (attributes) => Object.assign(attributes, { enabled: false, state: "Disabled" }),
      });
      const json = await plan("queue side", dir, [`-state=${state}`, `-replace=${INGRESS_ROUTE}`]);
      for (const address of [FORWARDER, QUEUE, DLQ, QUARANTINE, MAPPING]) expect([address, actionsOf(json, address)]).toEqual([address, ["update"]]);
      expect(actionsOf(json, INGRESS_ROUTE)).toEqual(["delete", "create"]);
      const review = reviewPlan(json);
      expect(sortedRisks(review)).toEqual([
        ["ingress-replaced", INGRESS_ROUTE, "(resource)"],
        ["max-receive-count-lowered", QUEUE, "redrive_policy.maxReceiveCount"],
        ["queue-key-changed", DLQ, "kms_master_key_id"],
        ["queue-key-changed", QUARANTINE, "kms_master_key_id"],
        ["retry-budget-lowered", FORWARDER, "environment.variables.RETRY_POLICY.maxAgeSeconds"],
      ]);
      expect(riskOf(review, "retry-budget-lowered")).toMatchObject({ before: "3600 s (1 h)", after: "600 s (10 min)" });
      expect(riskOf(review, "max-receive-count-lowered")).toMatchObject({ before: "5", after: "2" });
      const keys = review.risks.filter((risk) => risk.rule === "queue-key-changed").map(({ before, after }) => [before, after]);
      expect(keys).toEqual([
        [oldDlqKey, "(none: SSE-SQS)"],
        ["alias/old-quarantine-key", "alias/new-quarantine-key"],
      ]);
      expect(riskOf(review, "ingress-replaced").why).toMatch(/^the route POST \/sqs-hook is deleted and created again/);
      expect(review.notes).toEqual([expect.objectContaining({ rule: "mapping-resumed", address: MAPPING, before: "false", after: "true" })]);
      expect(formatReview(review)).toMatch(
        /\nNOTES \(1\), not blocking:\n {2}aws_lambda_event_source_mapping\.webhook_event_producer_mapping: enabled false -> true: this deploy RESUMES the event source mapping that is paused \(webhook-queue pause\)/,
      );
    },
    PLAN_TIMEOUT_MS,
  );

  test(
    "forgetting the DLQ (a removed block with destroy = false) is flagged for --allow-risk, not counted as a loss",
    async () => {
      const dlq = deployed.get(DLQ)!;
      const json = await planVariant("dlq forgotten", (stack) => {
        removeResource(stack, DLQ);
        stack.removed = [{ from: DLQ, lifecycle: { destroy: false } }];
        // What referred to the DLQ now names the deployed queue literally, as another configuration would.
        const literal = JSON.stringify(stack).replace(/aws_sqs_queue\.webhook_dlq\.(\w+)/g, (_, attribute: string) =>
          JSON.stringify(hclLiteral(dlq[attribute], attribute)).slice(1, -1),
        );
        Object.assign(stack, JSON.parse(literal));
      });
      expect(actionsOf(json, DLQ)).toEqual(["forget"]);
      const review = reviewPlan(json);
      expect(review.counts.forget).toBe(1);
      expect(review.queueLosses).toEqual([]);
      expect(only(review)).toMatchObject({
        rule: "queue-forgotten",
        address: DLQ,
        flag: "--allow-risk",
        why: expect.stringMatching(/dead-letter queue/),
      });
      expect(reviewPlan(json, { allowReplace: true }).blocked).toBe(true);
      expect(reviewPlan(json, { allowRisk: true }).blocked).toBe(false);
    },
    PLAN_TIMEOUT_MS,
  );

  test(
    "renaming the queue replaces it (forced by name), and its mapping with it: a queue loss, --allow-replace accepts both",
    async () => {
      const json = await planVariant("queue renamed", (stack) => (resource(stack, QUEUE).name = "mz-dev-webhook-queue-2.fifo"));
      expect(actionsOf(json, QUEUE)).toEqual(["delete", "create"]);
      const change = json.resource_changes?.find((candidate) => candidate.address === QUEUE);
      expect(change?.change.replace_paths).toEqual([["name"]]);
      const review = reviewPlan(json);
      expect(review.queueLosses).toEqual([QUEUE]);
      expect(risksOf(review)).toEqual(expect.arrayContaining([["queue-replaced", QUEUE, "name"]]));
      expect(review.risks.find((risk) => risk.rule === "queue-replaced")).toMatchObject({
        before: "mz-dev-webhook-queue.fifo",
        after: "mz-dev-webhook-queue-2.fifo",
        flag: "--allow-replace",
      });
      // Its mapping is replaced with it (event_source_arn known only at apply): part of that queue loss.
      expect(actionsOf(json, MAPPING)).toEqual(["delete", "create"]);
      expect(review.risks.find((risk) => risk.address === MAPPING)).toMatchObject({ rule: "mapping-replaced", flag: "--allow-replace" });
      expect(reviewPlan(json, { allowReplace: true }).blocked).toBe(false);
    },
    PLAN_TIMEOUT_MS,
  );

  test(
    "with prevent_destroy = true on the queues (as mz-dev sets it) terraform itself refuses a plan that destroys one",
    async () => {
      const dir = variant("prevent destroy", (stack) => {
        for (const address of [QUEUE, DLQ]) resource(stack, address).lifecycle = { prevent_destroy: true };
      });
      for (const args of [["-destroy"], ["-replace=aws_sqs_queue.webhook_queue"]]) {
        const failure = await plan(`prevent_destroy ${args[0]}`, dir, args).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(failure).toBeInstanceOf(CommandError);
        expect((failure as CommandError).result.stderr).toMatch(/Instance cannot be destroyed[^]*aws_sqs_queue\.webhook_(queue|dlq)/);
      }
    },
    2 * PLAN_TIMEOUT_MS,
  );
});

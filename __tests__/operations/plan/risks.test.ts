/**
 * The "messages at risk" rules of the plan review, one by one, on small synthetic
 * `resource_changes` shaped as terraform show -json writes them (the same rules on plans
 * terraform really made of the deployed emulator stack: risks.e2e.test.ts).
 */
import { flagsNeeded, formatReview, ResourceChangeJson, reviewPlan, TerraformPlanJson } from "../../../src/operations/plan/review";
import { duration, functionName, redriveOf } from "../../../src/operations/plan/risks";

const DLQ_ARN = "arn:aws:sqs:ap-northeast-1:123456789012:mz-dev-webhook-queue-dlq.fifo";
const OTHER_DLQ_ARN = "arn:aws:sqs:ap-northeast-1:123456789012:other-dlq.fifo";
const QUEUE_ARN = "arn:aws:sqs:ap-northeast-1:123456789012:mz-dev-webhook-queue.fifo";
const FUNCTION_ARN = "arn:aws:lambda:ap-northeast-1:123456789012:function:mz-dev-webhook-event-producer";
const redrive = (target: string, count = 1) => JSON.stringify({ deadLetterTargetArn: target, maxReceiveCount: count });

const queue = {
  arn: QUEUE_ARN,
  name: "mz-dev-webhook-queue.fifo",
  fifo_queue: true,
  message_retention_seconds: 345600,
  redrive_policy: redrive(DLQ_ARN),
};
const dlq = { arn: DLQ_ARN, name: "mz-dev-webhook-queue-dlq.fifo", fifo_queue: true, message_retention_seconds: 345600, redrive_policy: "" };
const mapping = {
  event_source_arn: QUEUE_ARN,
  function_name: FUNCTION_ARN,
  enabled: true,
  batch_size: 1,
  filter_criteria: [],
  function_response_types: ["ReportBatchItemFailures"],
};
const logGroup = { name: "/aws/lambda/mz-dev-webhook-event-producer", retention_in_days: 7, skip_destroy: false };
const retryPolicy = (maxAgeSeconds: number) => JSON.stringify({ maxAgeSeconds, initialDelaySeconds: 5, maxDelaySeconds: 300 });
const forwarder = {
  function_name: "mz-dev-webhook-event-producer",
  reserved_concurrent_executions: 2,
  environment: [{ variables: { QUEUE_URL: "https://sqs.example/queue.fifo", RETRY_POLICY: retryPolicy(3600) } }],
};
const application = { function_name: "mz-dev-webhook-application", reserved_concurrent_executions: -1, environment: [] };
const ingressIntegration = { id: "sqs1234", integration_type: "AWS_PROXY", integration_subtype: "SQS-SendMessage" };
const ingressRoute = { id: "route1", route_key: "POST /sqs-hook", target: "integrations/sqs1234" };
const applicationIntegration = { id: "app5678", integration_type: "AWS_PROXY", integration_subtype: "" };
const applicationRoute = { id: "route2", route_key: "POST /application-hook", target: "integrations/app5678", authorization_type: "AWS_IAM" };

type Change = ResourceChangeJson["change"];

function change(
  address: string,
  actions: string[],
  before: unknown,
  after: unknown,
  extra: Partial<Change> & { action_reason?: string } = {},
): ResourceChangeJson {
  const [type, name] = address.split(".");
  const { action_reason, ...rest } = extra;
  return {
    address,
    mode: "managed",
    type,
    name,
    change: { actions, before, after, after_unknown: {}, ...rest },
    ...(action_reason && { action_reason }),
  };
}

/**
 * A plan with the stack's queue, DLQ, mapping, log group, functions, routes and integrations
 * unchanged, plus `changes` replacing those of the same address.
 */
function plan(...changes: ResourceChangeJson[]): TerraformPlanJson {
  const unchanged = [
    change("aws_sqs_queue.webhook_queue", ["no-op"], queue, queue),
    change("aws_sqs_queue.webhook_dlq", ["no-op"], dlq, dlq),
    change("aws_lambda_event_source_mapping.webhook_event_producer_mapping", ["no-op"], mapping, mapping),
    change("aws_cloudwatch_log_group.webhook_event_producer", ["no-op"], logGroup, logGroup),
    change("aws_lambda_function.webhook_event_producer", ["no-op"], forwarder, forwarder),
    change("aws_lambda_function.webhook_application", ["no-op"], application, application),
    change("aws_apigatewayv2_integration.webhook_event_producer", ["no-op"], ingressIntegration, ingressIntegration),
    change("aws_apigatewayv2_route.webhook_event_route", ["no-op"], ingressRoute, ingressRoute),
    change("aws_apigatewayv2_integration.webhook_application", ["no-op"], applicationIntegration, applicationIntegration),
    change("aws_apigatewayv2_route.webhook_application", ["no-op"], applicationRoute, applicationRoute),
  ].filter((resource) => !changes.some((other) => other.address === resource.address));
  return { format_version: "1.2", resource_changes: [...unchanged, ...changes] };
}

const update = (address: string, before: object, after: object, extra: Partial<Change> = {}) => change(address, ["update"], before, after, extra);

describe("lowering a queue's message_retention_seconds", () => {
  test("on the DLQ is a risk: address, attribute, before -> after, why (and that it is the DLQ), --allow-risk", () => {
    const review = reviewPlan(plan(update("aws_sqs_queue.webhook_dlq", dlq, { ...dlq, message_retention_seconds: 3600 })));
    expect(review.risks).toEqual([
      {
        rule: "retention-lowered",
        address: "aws_sqs_queue.webhook_dlq",
        type: "aws_sqs_queue",
        attribute: "message_retention_seconds",
        before: "345600 s (4 d)",
        after: "3600 s (1 h)",
        why: expect.stringMatching(
          /SQS applies a lowered retention to messages already queued: any older than 1 h expire at once\. This is the dead-letter queue/,
        ),
        flag: "--allow-risk",
        allowed: false,
      },
    ]);
    expect(review.blocked).toBe(true);
    expect(flagsNeeded(review)).toEqual(["--allow-risk"]);
  });

  test("on the main queue too, without the DLQ sentence", () => {
    const [risk] = reviewPlan(plan(update("aws_sqs_queue.webhook_queue", queue, { ...queue, message_retention_seconds: 600 }))).risks;
    expect(risk).toMatchObject({
      rule: "retention-lowered",
      address: "aws_sqs_queue.webhook_queue",
      before: "345600 s (4 d)",
      after: "600 s (10 min)",
    });
    expect(risk.why).not.toMatch(/dead-letter/);
  });

  test("a retention only known at apply is flagged: it may be lower", () => {
    const unknown = update(
      "aws_sqs_queue.webhook_dlq",
      dlq,
      { ...dlq, message_retention_seconds: undefined },
      { after_unknown: { message_retention_seconds: true } },
    );
    expect(reviewPlan(plan(unknown)).risks).toEqual([expect.objectContaining({ rule: "retention-lowered", after: "(known after apply)" })]);
  });

  test.each([
    ["raised", 1209600],
    ["unchanged", 345600],
  ])("%s is no finding", (_, value) => {
    const review = reviewPlan(plan(update("aws_sqs_queue.webhook_dlq", dlq, { ...dlq, message_retention_seconds: value })));
    expect(review.risks).toEqual([]);
    expect(review.blocked).toBe(false);
  });

  test("--allow-risk lets it through, still listed", () => {
    const review = reviewPlan(plan(update("aws_sqs_queue.webhook_dlq", dlq, { ...dlq, message_retention_seconds: 3600 })), { allowRisk: true });
    expect(review.blocked).toBe(false);
    expect(review.risks).toEqual([expect.objectContaining({ rule: "retention-lowered", allowed: true })]);
    expect(formatReview(review)).toMatch(/ALLOWED by --allow-risk: 1 change\(s\) put queued messages at risk .*: aws_sqs_queue\.webhook_dlq\./);
  });

  test("--allow-replace does not", () => {
    expect(
      reviewPlan(plan(update("aws_sqs_queue.webhook_dlq", dlq, { ...dlq, message_retention_seconds: 3600 })), { allowReplace: true }).blocked,
    ).toBe(true);
  });
});

describe("a queue's redrive_policy", () => {
  // A real plan writes "{}" (redrive_policy = "{}"); removing the argument, or "", plans no change at all (risks.e2e.test.ts).
  test.each([
    ["cleared to {}", "{}", "{}"],
    [
      "without a deadLetterTargetArn",
      JSON.stringify({ deadLetterTargetArn: "", maxReceiveCount: 1 }),
      '{"deadLetterTargetArn":"","maxReceiveCount":1}',
    ],
    ["cleared to an empty string", "", "(none)"],
    ["set to null", null, "(none)"],
  ])("%s is a risk: failed messages no longer reach the DLQ", (_, value, shown) => {
    const review = reviewPlan(plan(update("aws_sqs_queue.webhook_queue", queue, { ...queue, redrive_policy: value })));
    expect(review.risks).toEqual([
      expect.objectContaining({
        rule: "redrive-removed",
        address: "aws_sqs_queue.webhook_queue",
        attribute: "redrive_policy",
        before: redrive(DLQ_ARN),
        after: shown,
        why: expect.stringMatching(/failed messages no longer move to the dead-letter queue/),
        flag: "--allow-risk",
      }),
    ]);
  });

  test("pointed at another dead-letter queue is a risk naming both ARNs", () => {
    const review = reviewPlan(plan(update("aws_sqs_queue.webhook_queue", queue, { ...queue, redrive_policy: redrive(OTHER_DLQ_ARN) })));
    expect(review.risks).toEqual([
      expect.objectContaining({
        rule: "redrive-target-changed",
        attribute: "redrive_policy.deadLetterTargetArn",
        before: DLQ_ARN,
        after: OTHER_DLQ_ARN,
      }),
    ]);
  });

  test("only known at apply is a risk", () => {
    const unknown = update(
      "aws_sqs_queue.webhook_queue",
      queue,
      { ...queue, redrive_policy: undefined },
      { after_unknown: { redrive_policy: true } },
    );
    expect(reviewPlan(plan(unknown)).risks).toEqual([expect.objectContaining({ rule: "redrive-target-changed", after: "(known after apply)" })]);
  });

  test.each([
    ["unchanged while something else changes", { ...queue, visibility_timeout_seconds: 360 }],
    ["written differently (whitespace, key order)", { ...queue, redrive_policy: ` {"maxReceiveCount": 1, "deadLetterTargetArn": "${DLQ_ARN}"}` }],
    ["with another maxReceiveCount", { ...queue, redrive_policy: redrive(DLQ_ARN, 5) }],
  ])("%s is no finding", (_, after) => {
    expect(reviewPlan(plan(update("aws_sqs_queue.webhook_queue", queue, after))).risks).toEqual([]);
  });

  test("added where there was none is no finding", () => {
    expect(reviewPlan(plan(update("aws_sqs_queue.webhook_dlq", dlq, { ...dlq, redrive_policy: redrive(OTHER_DLQ_ARN) }))).risks).toEqual([]);
  });
});

describe("the event source mapping", () => {
  const address = "aws_lambda_event_source_mapping.webhook_event_producer_mapping";

  test("disabled (enabled true -> false) is a risk: nothing drains the queue", () => {
    const review = reviewPlan(plan(update(address, mapping, { ...mapping, enabled: false })));
    expect(review.risks).toEqual([
      expect.objectContaining({
        rule: "mapping-disabled",
        address,
        attribute: "enabled",
        before: "true",
        after: "false",
        why: expect.stringMatching(/nothing drains the queue/),
      }),
    ]);
    expect(review.blocked).toBe(true);
  });

  test("updated but still enabled is no finding; enabling it is none either", () => {
    expect(reviewPlan(plan(update(address, mapping, { ...mapping, batch_size: 10 }))).risks).toEqual([]);
    expect(reviewPlan(plan(update(address, { ...mapping, enabled: false }, mapping))).risks).toEqual([]);
  });

  test("destroyed is a risk", () => {
    expect(reviewPlan(plan(change(address, ["delete"], mapping, null))).risks).toEqual([
      expect.objectContaining({ rule: "mapping-destroyed", attribute: "(resource)", before: "exists", after: "destroyed", flag: "--allow-risk" }),
    ]);
  });

  test("replaced is a risk naming the attribute that forces it, and the second delivery", () => {
    const replaced = change(
      address,
      ["create", "delete"],
      mapping,
      { ...mapping, event_source_arn: undefined },
      {
        after_unknown: { event_source_arn: true },
        replace_paths: [["event_source_arn"]],
      },
    );
    expect(reviewPlan(plan(replaced)).risks).toEqual([
      expect.objectContaining({
        rule: "mapping-replaced",
        attribute: "event_source_arn",
        before: QUEUE_ARN,
        after: "(known after apply)",
        why: expect.stringMatching(/nothing drains the queue in between.*delivered a second time/),
      }),
    ]);
  });

  test("created is no finding", () => {
    expect(reviewPlan(plan(change("aws_lambda_event_source_mapping.another", ["create"], null, mapping))).risks).toEqual([]);
  });
});

describe("the mapping's filter_criteria", () => {
  const address = "aws_lambda_event_source_mapping.webhook_event_producer_mapping";
  const filter = (...patterns: string[]) => [{ filter: patterns.map((pattern) => ({ pattern })) }];
  const github = JSON.stringify({ body: { action: ["opened"] } });

  test("added is a risk: Lambda deletes what matches no pattern, undelivered", () => {
    const review = reviewPlan(plan(update(address, mapping, { ...mapping, filter_criteria: filter(github) })));
    expect(review.risks).toEqual([
      expect.objectContaining({
        rule: "mapping-filter-changed",
        address,
        attribute: "filter_criteria",
        before: "(none)",
        after: github,
        why: expect.stringMatching(/^Lambda deletes from the queue, undelivered, every message that matches none of .*are lost, not dead-lettered$/),
        flag: "--allow-risk",
      }),
    ]);
    expect(review.blocked).toBe(true);
  });

  test("changed is a risk naming both patterns", () => {
    const other = JSON.stringify({ body: { action: ["closed"] } });
    const [risk] = reviewPlan(
      plan(update(address, { ...mapping, filter_criteria: filter(github) }, { ...mapping, filter_criteria: filter(github, other) })),
    ).risks;
    expect(risk).toMatchObject({ rule: "mapping-filter-changed", before: github, after: [other, github].sort().join(" | ") });
  });

  test("only known at apply is a risk", () => {
    const unknown = update(address, mapping, { ...mapping, filter_criteria: undefined }, { after_unknown: { filter_criteria: true } });
    expect(reviewPlan(plan(unknown)).risks).toEqual([expect.objectContaining({ rule: "mapping-filter-changed", after: "(known after apply)" })]);
  });

  test.each([
    ["unchanged while something else changes", filter(github), filter(github), { batch_size: 10 }],
    ["written differently (whitespace)", filter(github), filter(`{ "body" : { "action" : [ "opened" ] } }`), {}],
    ["removed (every message reaches the forwarder)", filter(github), [], {}],
  ])("%s is no finding", (_, before, after, other) => {
    expect(
      reviewPlan(plan(update(address, { ...mapping, filter_criteria: before }, { ...mapping, ...other, filter_criteria: after }))).risks,
    ).toEqual([]);
  });
});

describe("the mapping's function_response_types", () => {
  const address = "aws_lambda_event_source_mapping.webhook_event_producer_mapping";

  test.each([
    ["cleared", [], "[]"],
    ["removed", null, "(none)"],
  ])(
    "ReportBatchItemFailures %s is a risk: Lambda ignores the forwarder's batchItemFailures and deletes failed records as delivered",
    (_, value, shown) => {
      const review = reviewPlan(plan(update(address, mapping, { ...mapping, function_response_types: value })));
      expect(review.risks).toEqual([
        expect.objectContaining({
          rule: "partial-batch-response-removed",
          address,
          attribute: "function_response_types",
          before: '["ReportBatchItemFailures"]',
          after: shown,
          why: expect.stringMatching(
            /^without ReportBatchItemFailures Lambda ignores the batchItemFailures the forwarder returns .* are deleted as if delivered, and lost/,
          ),
          flag: "--allow-risk",
        }),
      ]);
    },
  );

  test("only known at apply is a risk", () => {
    const unknown = update(
      address,
      mapping,
      { ...mapping, function_response_types: undefined },
      { after_unknown: { function_response_types: true } },
    );
    expect(reviewPlan(plan(unknown)).risks).toEqual([
      expect.objectContaining({ rule: "partial-batch-response-removed", after: "(known after apply)" }),
    ]);
  });

  test("kept while something else changes, or added, is no finding", () => {
    expect(reviewPlan(plan(update(address, mapping, { ...mapping, batch_size: 10 }))).risks).toEqual([]);
    expect(reviewPlan(plan(update(address, { ...mapping, function_response_types: [] }, mapping))).risks).toEqual([]);
  });
});

describe("a paused mapping resumed (enabled false -> true)", () => {
  const address = "aws_lambda_event_source_mapping.webhook_event_producer_mapping";
  const resumed = () => plan(update(address, { ...mapping, enabled: false }, mapping));

  test("is a note, not a risk: nothing blocked", () => {
    const review = reviewPlan(resumed());
    expect(review.risks).toEqual([]);
    expect(review.blocked).toBe(false);
    expect(review.notes).toEqual([
      {
        rule: "mapping-resumed",
        address,
        type: "aws_lambda_event_source_mapping",
        attribute: "enabled",
        before: "false",
        after: "true",
        note: "this deploy RESUMES the event source mapping that is paused (webhook-queue pause): deliveries start as soon as it applies",
      },
    ]);
  });

  test("the text review says it in a NOTES section, before any risk; --json carries it", () => {
    const text = formatReview(reviewPlan(resumed()));
    expect(text).toMatch(
      /\nNOTES \(1\), not blocking:\n {2}aws_lambda_event_source_mapping\.webhook_event_producer_mapping: enabled false -> true: this deploy RESUMES the event source mapping that is paused \(webhook-queue pause\): deliveries start as soon as it applies$/,
    );
    expect(text).not.toMatch(/MESSAGES AT RISK|BLOCKED/);
    const withRisk = formatReview(reviewPlan(plan(update(address, { ...mapping, enabled: false }, { ...mapping, function_response_types: [] }))));
    expect(withRisk.indexOf("NOTES (1)")).toBeLessThan(withRisk.indexOf("MESSAGES AT RISK (1)"));
    expect(JSON.parse(JSON.stringify(reviewPlan(resumed())))).toMatchObject({ notes: [{ rule: "mapping-resumed", address }] });
  });

  test("a mapping that stays paused, stays enabled, or is paused has no note", () => {
    const paused = { ...mapping, enabled: false };
    expect(reviewPlan(plan(update(address, paused, { ...paused, batch_size: 10 }))).notes).toEqual([]);
    expect(reviewPlan(plan(update(address, mapping, { ...mapping, batch_size: 10 }))).notes).toEqual([]);
    expect(reviewPlan(plan(update(address, mapping, paused))).notes).toEqual([]);
  });
});

describe("a queue's throughput mode switched (queue.highThroughput)", () => {
  const address = "aws_sqs_queue.webhook_queue";
  const normal = { ...queue, fifo_throughput_limit: "perQueue", deduplication_scope: "queue" };
  const high = { ...queue, fifo_throughput_limit: "perMessageGroupId", deduplication_scope: "messageGroup" };
  const notesOf = (before: object, after: object) => reviewPlan(plan(update(address, before, after))).notes;

  test("switched on: a note (deduplication per message group), not a risk: nothing blocked", () => {
    const review = reviewPlan(plan(update(address, normal, high)));
    expect(review.risks).toEqual([]);
    expect(review.blocked).toBe(false);
    expect(review.notes).toEqual([
      {
        rule: "throughput-mode-changed",
        address,
        type: "aws_sqs_queue",
        attribute: "fifo_throughput_limit, deduplication_scope",
        before: "perQueue, queue",
        after: "perMessageGroupId, messageGroup",
        note:
          "high-throughput FIFO switched ON, in place (queued webhooks stay): SQS takes far more than 300 API calls/s per action, spread over " +
          "message groups; a deduplication ID is then unique per message group only: a provider's retry (same group) is still dropped, " +
          "the same ID in another group is not",
      },
    ]);
    expect(formatReview(review)).toContain(
      "NOTES (1), not blocking:\n  aws_sqs_queue.webhook_queue: fifo_throughput_limit, deduplication_scope perQueue, queue -> perMessageGroupId, messageGroup: high-throughput FIFO switched ON",
    );
  });

  test("switched off: the quota falls back to 300 API calls/s per action, and deduplication is queue-wide again", () => {
    expect(notesOf(high, normal)).toMatchObject([
      {
        rule: "throughput-mode-changed",
        before: "perMessageGroupId, messageGroup",
        after: "perQueue, queue",
        note:
          "high-throughput FIFO switched OFF, in place: SQS takes 300 API calls/s per action again (3,000 messages/s in batches of 10); " +
          "above that the route's SendMessage is throttled and the SaaS gets an error: check the queue's NumberOfMessagesSent peaks first; " +
          "deduplication IDs are unique per queue again",
      },
    ]);
  });

  test("one attribute alone leaves normal throughput, and says so", () => {
    expect(notesOf(normal, { ...normal, deduplication_scope: "messageGroup" })).toMatchObject([
      {
        after: "perQueue, messageGroup",
        note: 'normal throughput either way (SQS\'s high-throughput mode needs fifo_throughput_limit = "perMessageGroupId" and deduplication_scope = "messageGroup" together); deduplication per message group',
      },
    ]);
    expect(notesOf(high, { ...high, fifo_throughput_limit: "perQueue" })).toMatchObject([
      { note: expect.stringMatching(/^high-throughput FIFO switched OFF, .* peaks first$/) },
    ]);
  });

  test("no note when neither changes, when a value is not known (left to the provider), or when the queue is created", () => {
    expect(notesOf(normal, { ...normal, message_retention_seconds: 1209600 })).toEqual([]);
    expect(notesOf(queue, high)).toEqual([]);
    expect(notesOf(normal, queue)).toEqual([]);
    expect(reviewPlan(plan(change(address, ["create"], null, high))).notes).toEqual([]);
  });
});

describe("the forwarder's reserved concurrency", () => {
  const address = "aws_lambda_function.webhook_event_producer";

  test.each([
    [2, "2"],
    [-1, "-1 (unreserved)"],
  ])("%s -> 0 on the function the queue's mapping invokes is a risk: every invocation throttled, webhooks to the DLQ", (value, shown) => {
    const review = reviewPlan(
      plan(update(address, { ...forwarder, reserved_concurrent_executions: value }, { ...forwarder, reserved_concurrent_executions: 0 })),
    );
    expect(review.risks).toEqual([
      expect.objectContaining({
        rule: "forwarder-throttled",
        address,
        type: "aws_lambda_function",
        attribute: "reserved_concurrent_executions",
        before: shown,
        after: "0",
        why: expect.stringMatching(/^Lambda throttles every invocation .* reach maxReceiveCount and move to the dead-letter queue undelivered/),
        flag: "--allow-risk",
      }),
    ]);
  });

  test("only known at apply is a risk: it may be 0", () => {
    const unknown = update(
      address,
      forwarder,
      { ...forwarder, reserved_concurrent_executions: undefined },
      { after_unknown: { reserved_concurrent_executions: true } },
    );
    expect(reviewPlan(plan(unknown)).risks).toEqual([expect.objectContaining({ rule: "forwarder-throttled", after: "(known after apply)" })]);
  });

  test.each([
    ["5 on the forwarder", address, forwarder, 5],
    ["0 on a function no queue's mapping invokes", "aws_lambda_function.webhook_application", application, 0],
  ])("%s is no finding", (_, at, values, value) => {
    expect(reviewPlan(plan(update(at, values, { ...values, reserved_concurrent_executions: value }))).risks).toEqual([]);
  });

  test("already 0 (throttled today) is no finding of this plan", () => {
    const throttled = { ...forwarder, reserved_concurrent_executions: 0 };
    expect(reviewPlan(plan(update(address, throttled, { ...throttled, timeout: 30 }))).risks).toEqual([]);
  });
});

describe("the forwarder's retry budget (RETRY_POLICY)", () => {
  const address = "aws_lambda_function.webhook_event_producer";
  const withPolicy = (policy: string | undefined) => ({
    ...forwarder,
    environment: [{ variables: { QUEUE_URL: "https://sqs.example/queue.fifo", ...(policy !== undefined && { RETRY_POLICY: policy }) } }],
  });

  test("maxAgeSeconds lowered is a risk: webhooks failing longer than the new budget are dead-lettered at their next failure", () => {
    const review = reviewPlan(plan(update(address, forwarder, withPolicy(retryPolicy(600)))));
    expect(review.risks).toEqual([
      expect.objectContaining({
        rule: "retry-budget-lowered",
        address,
        attribute: "environment.variables.RETRY_POLICY.maxAgeSeconds",
        before: "3600 s (1 h)",
        after: "600 s (10 min)",
        why: "webhooks that have been in the queue, failing, for longer than 10 min are dead-lettered at their next failed delivery instead of being retried for up to 1 h",
        flag: "--allow-risk",
      }),
    ]);
  });

  test.each([
    ["removed from the environment", withPolicy(undefined)],
    ["with the whole environment", { ...forwarder, environment: [] }],
    ["set to an empty string", withPolicy("")],
  ])("RETRY_POLICY %s is a risk: no retries in the queue any more", (_, after) => {
    expect(reviewPlan(plan(update(address, forwarder, after))).risks).toEqual([
      expect.objectContaining({
        rule: "retry-policy-removed",
        attribute: "environment.variables.RETRY_POLICY",
        before: retryPolicy(3600),
        after: "(none)",
        why: expect.stringMatching(/^no retries in the queue any more: a failing webhook is no longer retried with backoff for up to 1 h/),
      }),
    ]);
  });

  test.each([
    ["the value", { environment: [{ variables: { RETRY_POLICY: true } }] }],
    ["the whole environment (a variable names a queue being replaced)", { environment: true }],
  ])("only known at apply (%s) blocks nothing: a note says the budget cannot be compared", (_, afterUnknown) => {
    const unknown = update(address, forwarder, { ...forwarder, environment: [{ variables: {} }] }, { after_unknown: afterUnknown });
    const review = reviewPlan(plan(unknown));
    expect(review.risks).toEqual([]);
    expect(review.notes).toEqual([
      expect.objectContaining({
        rule: "retry-policy-unknown",
        before: "maxAgeSeconds 3600",
        after: "(known after apply)",
        note: expect.stringMatching(/^the forwarder's environment is only known at apply .*check forwarder\.retry in the settings/),
      }),
    ]);
  });

  test.each([
    ["maxAgeSeconds raised", forwarder, withPolicy(retryPolicy(7200))],
    ["unchanged while the code changes", forwarder, { ...forwarder, source_code_hash: "new" }],
    [
      "the delays changed, not the budget",
      forwarder,
      withPolicy(JSON.stringify({ maxAgeSeconds: 3600, initialDelaySeconds: 1, maxDelaySeconds: 60 })),
    ],
    ["added where there was none", withPolicy(undefined), forwarder],
  ])("%s is no finding", (_, before, after) => {
    expect(reviewPlan(plan(update(address, before, after))).risks).toEqual([]);
  });
});

describe("a queue's redrive_policy maxReceiveCount", () => {
  test("lowered is a risk: messages already received that often move to the DLQ at their next receive", () => {
    const review = reviewPlan(
      plan(
        update("aws_sqs_queue.webhook_queue", { ...queue, redrive_policy: redrive(DLQ_ARN, 5) }, { ...queue, redrive_policy: redrive(DLQ_ARN, 2) }),
      ),
    );
    expect(review.risks).toEqual([
      expect.objectContaining({
        rule: "max-receive-count-lowered",
        address: "aws_sqs_queue.webhook_queue",
        attribute: "redrive_policy.maxReceiveCount",
        before: "5",
        after: "2",
        why: expect.stringMatching(/webhooks already received 2 time\(s\) or more .* move there at their next receive, undelivered$/),
        flag: "--allow-risk",
      }),
    ]);
  });

  test("lowered with another target: both findings", () => {
    const review = reviewPlan(
      plan(
        update(
          "aws_sqs_queue.webhook_queue",
          { ...queue, redrive_policy: redrive(DLQ_ARN, 5) },
          { ...queue, redrive_policy: redrive(OTHER_DLQ_ARN, 1) },
        ),
      ),
    );
    expect(review.risks.map((risk) => risk.rule)).toEqual(["max-receive-count-lowered", "redrive-target-changed"]);
  });
});

describe("a queue's KMS key", () => {
  const KEY = "arn:aws:kms:ap-northeast-1:123456789012:key/1111-old";
  const kmsQueue = { ...queue, kms_master_key_id: KEY, sqs_managed_sse_enabled: false };

  test.each([
    ["changed to another key", { ...kmsQueue, kms_master_key_id: "alias/new-key" }, "alias/new-key"],
    ["removed for SSE-SQS", { ...kmsQueue, kms_master_key_id: "", sqs_managed_sse_enabled: true }, "(none: SSE-SQS)"],
    ["removed, unencrypted", { ...kmsQueue, kms_master_key_id: null }, "(none: not encrypted)"],
  ])("%s is a risk: messages already queued stay encrypted under the old key", (_, after, shown) => {
    const review = reviewPlan(plan(update("aws_sqs_queue.webhook_queue", kmsQueue, after)));
    expect(review.risks).toEqual([
      expect.objectContaining({
        rule: "queue-key-changed",
        address: "aws_sqs_queue.webhook_queue",
        attribute: "kms_master_key_id",
        before: KEY,
        after: shown,
        why: expect.stringMatching(
          /^SQS does not re-encrypt the messages already queued: they stay encrypted under arn:aws:kms:\S+ .*\(this queue keeps a message 4 d\): once it is disabled or deleted SQS cannot decrypt them/,
        ),
        flag: "--allow-risk",
      }),
    ]);
  });

  test("only known at apply is a risk", () => {
    const unknown = update(
      "aws_sqs_queue.webhook_queue",
      kmsQueue,
      { ...kmsQueue, kms_master_key_id: undefined },
      { after_unknown: { kms_master_key_id: true } },
    );
    expect(reviewPlan(plan(unknown)).risks).toEqual([expect.objectContaining({ rule: "queue-key-changed", after: "(known after apply)" })]);
  });

  test.each([
    ["SSE-SQS -> a KMS key (no old key to keep)", { ...queue, sqs_managed_sse_enabled: true }, kmsQueue],
    ["the key kept while something else changes", kmsQueue, { ...kmsQueue, visibility_timeout_seconds: 360 }],
  ])("%s is no finding", (_, before, after) => {
    expect(reviewPlan(plan(update("aws_sqs_queue.webhook_queue", before, after))).risks).toEqual([]);
  });
});

describe("a source's ingress (route and SQS-SendMessage integration)", () => {
  const route = "aws_apigatewayv2_route.webhook_event_route";
  const integration = "aws_apigatewayv2_integration.webhook_event_producer";

  test("the route destroyed is a risk: API Gateway answers 404, webhooks not queued", () => {
    const review = reviewPlan(plan(change(route, ["delete"], ingressRoute, null)));
    expect(review.risks).toEqual([
      expect.objectContaining({
        rule: "ingress-destroyed",
        address: route,
        type: "aws_apigatewayv2_route",
        attribute: "(resource)",
        before: "exists",
        after: "destroyed",
        why: expect.stringMatching(/^API Gateway answers POST \/sqs-hook with 404 from this apply on: the SaaS's webhooks to it are not queued/),
        flag: "--allow-risk",
      }),
    ]);
  });

  test("the route replaced (-replace) is a risk, and the change list no longer says no data lost", () => {
    const replaced = change(route, ["delete", "create"], ingressRoute, { ...ingressRoute, id: undefined }, { action_reason: "replace_by_request" });
    const review = reviewPlan(plan(replaced));
    expect(review.risks).toEqual([
      expect.objectContaining({
        rule: "ingress-replaced",
        attribute: "(resource)",
        after: "replaced (-replace)",
        why: expect.stringMatching(/^the route POST \/sqs-hook is deleted and created again: in between, API Gateway answers it with 404/),
      }),
    ]);
    const text = formatReview(review);
    expect(text).toMatch(/-\/\+ replace aws_apigatewayv2_route\.webhook_event_route .*\(see MESSAGES AT RISK\)\n/);
    expect(text).not.toMatch(/no data lost/);
  });

  test.each([
    [
      "replaced",
      ["delete", "create"],
      "ingress-replaced",
      /is deleted and created again: in between, webhooks to it get 404\/500 and are not queued/,
    ],
    ["destroyed", ["delete"], "ingress-destroyed", /goes: from this apply on, webhooks to it get 404\/500 and are not queued/],
  ])("its SQS-SendMessage integration %s is a risk naming the route", (_, actions, rule, why) => {
    const review = reviewPlan(plan(change(integration, actions, ingressIntegration, actions.length > 1 ? ingressIntegration : null)));
    expect(review.risks).toEqual([
      expect.objectContaining({ rule, address: integration, why: expect.stringMatching(/^the SQS-SendMessage integration behind POST \/sqs-hook /) }),
    ]);
    expect(review.risks[0].why).toMatch(why);
  });

  test("the route's key changed in place is a risk: the SaaS keeps posting to the old path, which answers 404", () => {
    const moved = update(route, ingressRoute, { ...ingressRoute, route_key: "POST /webhooks/default" });
    expect(reviewPlan(plan(moved)).risks).toEqual([
      expect.objectContaining({
        rule: "ingress-route-moved",
        address: route,
        attribute: "route_key",
        before: "POST /sqs-hook",
        after: "POST /webhooks/default",
        why: expect.stringMatching(/^the SaaS keeps posting to POST \/sqs-hook, which API Gateway answers with 404 from this apply on/),
        flag: "--allow-risk",
      }),
    ]);
    const application = update("aws_apigatewayv2_route.webhook_application", applicationRoute, { ...applicationRoute, route_key: "POST /app" });
    expect(reviewPlan(plan(application)).risks).toEqual([]);
  });

  test("the application's route replaced is no ingress risk: its line still says no data lost", () => {
    const replaced = change("aws_apigatewayv2_route.webhook_application", ["delete", "create"], applicationRoute, applicationRoute, {
      action_reason: "replace_by_request",
    });
    const review = reviewPlan(plan(replaced));
    expect(review.risks).toEqual([]);
    expect(formatReview(review)).toMatch(
      /-\/\+ replace aws_apigatewayv2_route\.webhook_application +\(no data lost: aws_apigatewayv2_route holds none\)/,
    );
  });

  test("a replacement that creates the new integration first (create_before_destroy), or an update in place, is no finding", () => {
    expect(reviewPlan(plan(change(integration, ["create", "delete"], ingressIntegration, ingressIntegration))).risks).toEqual([]);
    expect(reviewPlan(plan(update(integration, ingressIntegration, { ...ingressIntegration, description: "new" }))).risks).toEqual([]);
    expect(reviewPlan(plan(update(route, ingressRoute, { ...ingressRoute, target: undefined }, { after_unknown: { target: true } }))).risks).toEqual(
      [],
    );
  });
});

describe("the forwarder's log group", () => {
  const address = "aws_cloudwatch_log_group.webhook_event_producer";

  test("destroyed is a risk, named as the forwarder's (its function is the mapping's)", () => {
    expect(reviewPlan(plan(change(address, ["delete"], logGroup, null))).risks).toEqual([
      expect.objectContaining({
        rule: "log-group-destroyed",
        attribute: "(resource)",
        why: expect.stringMatching(/^the forwarder's logs, the record of which webhooks were delivered/),
      }),
    ]);
  });

  test("replaced is a risk naming the attribute that forces it", () => {
    const replaced = change(address, ["delete", "create"], logGroup, { ...logGroup, name: "/aws/lambda/renamed" }, { replace_paths: [["name"]] });
    expect(reviewPlan(plan(replaced)).risks).toEqual([
      expect.objectContaining({
        rule: "log-group-replaced",
        attribute: "name",
        before: "/aws/lambda/mz-dev-webhook-event-producer",
        after: "/aws/lambda/renamed",
        why: expect.stringMatching(/the new log group starts empty$/),
      }),
    ]);
  });

  test("another function's log group is flagged too, without claiming to be the forwarder's", () => {
    const other = { ...logGroup, name: "/aws/lambda/mz-dev-webhook-application" };
    const [risk] = reviewPlan(plan(change("aws_cloudwatch_log_group.webhook_application", ["delete"], other, null))).risks;
    expect(risk.why).toMatch(/^its logs are deleted/);
  });

  test("with skip_destroy the logs stay: no finding", () => {
    expect(reviewPlan(plan(change(address, ["delete"], { ...logGroup, skip_destroy: true }, null))).risks).toEqual([]);
  });

  test("retention changed in place is no finding", () => {
    expect(reviewPlan(plan(update(address, logGroup, { ...logGroup, retention_in_days: 14 }))).risks).toEqual([]);
  });
});

describe("a forgotten queue (removed block with destroy = false)", () => {
  test("is a risk accepted by --allow-risk, not by --allow-replace", () => {
    const forgotten = change("aws_sqs_queue.webhook_dlq", ["forget"], dlq, null);
    const review = reviewPlan(plan(forgotten));
    expect(review.counts.forget).toBe(1);
    expect(review.queueLosses).toEqual([]);
    expect(review.risks).toEqual([
      expect.objectContaining({
        rule: "queue-forgotten",
        address: "aws_sqs_queue.webhook_dlq",
        attribute: "(resource)",
        before: "managed",
        why: expect.stringMatching(
          /^Terraform stops managing it: the dead-letter queue and its failed webhooks stay in AWS, but nothing guards them/,
        ),
        flag: "--allow-risk",
      }),
    ]);
    expect(reviewPlan(plan(forgotten), { allowReplace: true }).blocked).toBe(true);
    expect(reviewPlan(plan(forgotten), { allowRisk: true }).blocked).toBe(false);
  });
});

describe("queue destroyed or replaced (the review's first rule)", () => {
  test("destroyed: a risk for --allow-replace, and a queue loss as before", () => {
    const review = reviewPlan(plan(change("aws_sqs_queue.webhook_dlq", ["delete"], dlq, null)));
    expect(review.queueLosses).toEqual(["aws_sqs_queue.webhook_dlq"]);
    expect(review.risks).toEqual([
      expect.objectContaining({
        rule: "queue-destroyed",
        attribute: "(resource)",
        after: "destroyed",
        flag: "--allow-replace",
        allowed: false,
        why: expect.stringMatching(/dead-letter queue/),
      }),
    ]);
    expect(flagsNeeded(review)).toEqual(["--allow-replace"]);
    expect(reviewPlan(plan(change("aws_sqs_queue.webhook_dlq", ["delete"], dlq, null)), { allowRisk: true }).blocked).toBe(true);
    expect(reviewPlan(plan(change("aws_sqs_queue.webhook_dlq", ["delete"], dlq, null)), { allowReplace: true }).blocked).toBe(false);
  });

  test("replaced by a forcing attribute: the attribute and its values", () => {
    const replaced = change(
      "aws_sqs_queue.webhook_queue",
      ["delete", "create"],
      queue,
      { ...queue, name: "renamed.fifo" },
      { replace_paths: [["name"]] },
    );
    expect(reviewPlan(plan(replaced)).risks).toEqual([
      expect.objectContaining({ rule: "queue-replaced", attribute: "name", before: "mz-dev-webhook-queue.fifo", after: "renamed.fifo" }),
    ]);
  });

  test("replaced on request (-replace): the whole resource", () => {
    const replaced = change("aws_sqs_queue.webhook_queue", ["delete", "create"], queue, queue, { action_reason: "replace_by_request" });
    expect(reviewPlan(plan(replaced)).risks).toEqual([
      expect.objectContaining({ rule: "queue-replaced", attribute: "(resource)", after: "replaced (-replace)" }),
    ]);
  });

  test("the mapping of a queue this plan replaces goes with that queue loss: --allow-replace accepts both (terraform's -replace of the queue)", () => {
    const replacedQueue = change(
      "aws_sqs_queue.webhook_queue",
      ["delete", "create"],
      queue,
      { ...queue, arn: undefined },
      {
        action_reason: "replace_by_request",
        after_unknown: { arn: true },
      },
    );
    const replacedMapping = change(
      "aws_lambda_event_source_mapping.webhook_event_producer_mapping",
      ["delete", "create"],
      mapping,
      { ...mapping, event_source_arn: undefined },
      { after_unknown: { event_source_arn: true }, replace_paths: [["event_source_arn"]] },
    );
    const review = reviewPlan(plan(replacedQueue, replacedMapping));
    expect(review.risks.map((risk) => [risk.rule, risk.flag])).toEqual([
      ["mapping-replaced", "--allow-replace"],
      ["queue-replaced", "--allow-replace"],
    ]);
    expect(review.risks[0].why).toMatch(/\(its queue is destroyed or replaced in this plan: part of that queue loss\)$/);
    expect(reviewPlan(plan(replacedQueue, replacedMapping), { allowReplace: true }).blocked).toBe(false);
  });

  test("a whole-stack destroy: queue and mapping for --allow-replace, the log group still for --allow-risk", () => {
    const destroy = plan(
      change("aws_sqs_queue.webhook_queue", ["delete"], queue, null),
      change("aws_sqs_queue.webhook_dlq", ["delete"], dlq, null),
      change("aws_lambda_event_source_mapping.webhook_event_producer_mapping", ["delete"], mapping, null),
      change("aws_cloudwatch_log_group.webhook_event_producer", ["delete"], logGroup, null),
    );
    expect(reviewPlan(destroy).risks.map((risk) => [risk.rule, risk.flag])).toEqual([
      ["log-group-destroyed", "--allow-risk"],
      ["mapping-destroyed", "--allow-replace"],
      ["queue-destroyed", "--allow-replace"],
      ["queue-destroyed", "--allow-replace"],
    ]);
    expect(flagsNeeded(reviewPlan(destroy, { allowReplace: true }))).toEqual(["--allow-risk"]);
    expect(reviewPlan(destroy, { allowReplace: true, allowRisk: true }).blocked).toBe(false);
  });

  test("a replaced queue is not also checked attribute by attribute", () => {
    const replaced = change(
      "aws_sqs_queue.webhook_queue",
      ["delete", "create"],
      queue,
      { ...queue, redrive_policy: "", message_retention_seconds: 60 },
      {
        action_reason: "replace_by_request",
      },
    );
    expect(reviewPlan(plan(replaced)).risks.map((risk) => risk.rule)).toEqual(["queue-replaced"]);
  });
});

describe("the text review", () => {
  const risky = plan(
    update("aws_sqs_queue.webhook_dlq", dlq, { ...dlq, message_retention_seconds: 3600 }),
    change("aws_sqs_queue.webhook_queue", ["delete"], queue, null),
    update("aws_lambda_event_source_mapping.webhook_event_producer_mapping", mapping, { ...mapping, enabled: false }),
  );

  test("a MESSAGES AT RISK section, one `address: attribute before -> after: why` line each, with the flag that lets it through", () => {
    const lines = formatReview(reviewPlan(risky)).split("\n");
    const start = lines.indexOf("MESSAGES AT RISK (3):");
    expect(start).toBeGreaterThan(0);
    expect(lines[start + 1]).toMatch(
      /^ {2}aws_lambda_event_source_mapping\.webhook_event_producer_mapping: enabled true -> false: nothing drains the queue.* \[blocked: --allow-risk lets it through\]$/,
    );
    expect(lines[start + 2]).toMatch(
      /^ {2}aws_sqs_queue\.webhook_dlq: message_retention_seconds 345600 s \(4 d\) -> 3600 s \(1 h\): SQS applies .* \[blocked: --allow-risk lets it through\]$/,
    );
    expect(lines[start + 3]).toMatch(
      /^ {2}aws_sqs_queue\.webhook_queue: \(resource\) exists -> destroyed: deletes the queue.* \[blocked: --allow-replace lets it through\]$/,
    );
  });

  test("one verdict per flag: the queue loss for --allow-replace, the rest for --allow-risk", () => {
    const text = formatReview(reviewPlan(risky));
    expect(text).toMatch(/BLOCKED: this plan destroys or replaces 1 queue\(s\)[^]*--allow-replace/);
    expect(text).toMatch(
      /BLOCKED: 2 other change\(s\) put queued messages at risk \(MESSAGES AT RISK above\): aws_lambda_event_source_mapping\.webhook_event_producer_mapping, aws_sqs_queue\.webhook_dlq\.\n.*--allow-risk/,
    );
    const half = formatReview(reviewPlan(risky, { allowReplace: true }));
    expect(half).toMatch(/ALLOWED by --allow-replace/);
    expect(half).toMatch(/BLOCKED: 2 other change/);
    expect(reviewPlan(risky, { allowReplace: true }).blocked).toBe(true);
    expect(flagsNeeded(reviewPlan(risky))).toEqual(["--allow-replace", "--allow-risk"]);
    const both = reviewPlan(risky, { allowReplace: true, allowRisk: true });
    expect(both.blocked).toBe(false);
    expect(formatReview(both)).toMatch(/\[allowed by --allow-risk\]/);
  });

  test("without a queue loss the verdict does not speak of other changes", () => {
    const text = formatReview(reviewPlan(plan(update("aws_sqs_queue.webhook_dlq", dlq, { ...dlq, message_retention_seconds: 3600 }))));
    expect(text).toMatch(
      /\nBLOCKED: 1 change\(s\) put queued messages at risk \(MESSAGES AT RISK above\): aws_sqs_queue\.webhook_dlq\.\n {2}Make the change safe/,
    );
    expect(text).not.toMatch(/BLOCKED: this plan destroys/);
  });

  test("no risk, no section", () => {
    const text = formatReview(reviewPlan(plan(update("aws_sqs_queue.webhook_dlq", dlq, { ...dlq, message_retention_seconds: 1209600 }))));
    expect(text).not.toMatch(/MESSAGES AT RISK|BLOCKED|ALLOWED/);
  });

  test("the JSON review (npm run plan --json) carries the findings", () => {
    const document = JSON.parse(JSON.stringify(reviewPlan(risky))) as { risks: unknown[]; blocked: boolean; allowRisk: boolean };
    expect(document.risks).toHaveLength(3);
    expect(document).toMatchObject({ blocked: true, allowRisk: false });
  });
});

describe("hasChanges", () => {
  test("terraform's applyable when given; otherwise whether anything changes", () => {
    expect(reviewPlan({ ...plan(), applyable: false }).hasChanges).toBe(false);
    expect(reviewPlan({ ...plan(), applyable: true }).hasChanges).toBe(true);
    expect(reviewPlan(plan()).hasChanges).toBe(false);
    expect(reviewPlan(plan(update("aws_sqs_queue.webhook_dlq", dlq, { ...dlq, message_retention_seconds: 1209600 }))).hasChanges).toBe(true);
  });
});

test("helpers: durations, function names from ARNs, redrive policies", () => {
  expect([duration(30), duration(90), duration(3600), duration(345600), duration(1209600)]).toEqual(["30 s", "1.5 min", "1 h", "4 d", "14 d"]);
  expect(functionName(FUNCTION_ARN)).toBe("mz-dev-webhook-event-producer");
  expect(functionName(`${FUNCTION_ARN}:live`)).toBe("mz-dev-webhook-event-producer");
  expect(functionName("plain-name")).toBe("plain-name");
  expect(functionName("")).toBeUndefined();
  expect(redriveOf(redrive(DLQ_ARN))?.deadLetterTargetArn).toBe(DLQ_ARN);
  expect(redriveOf("")).toBeUndefined();
  expect(redriveOf("not json")).toBeUndefined();
  expect(redriveOf(null)).toBeUndefined();
});

/**
 * The forwarder with retries inside the queue, as the e2e tests run it in their own process: the
 * held-groups table created as the stack creates it, the environment the stack sets, and the
 * handler loaded from its source (jest's module sandbox runs the bundle's dynamic import() of the
 * SDK only with a flag).
 */
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { HELD_GROUP, RetryPolicy } from "../../lambda/forwarder/contract";
import { EMULATOR_CREDENTIALS } from "../../src/operations/emulator/moto-server";
import type { ForwarderHandler, setForwarderEnv } from "./bundled-lambda";

/** The table as HeldGroupsTable declares it: key `group` (S), on demand. */
export async function createHeldGroupsTable(dynamodb: DynamoDBClient, tableName: string): Promise<string> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: [{ AttributeName: HELD_GROUP.group, KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: HELD_GROUP.group, AttributeType: "S" }],
    }),
  );
  return tableName;
}

export interface RetryingForwarder {
  readonly endpoint: string;
  readonly region: string;
  /** One source `shop`, grouped `shop:<entity>`, delivering to this URL. */
  readonly targetUrl: string;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly heldGroupsTable: string;
  readonly policy: RetryPolicy;
  readonly maxReceiveCount: number;
  readonly logLevel?: string;
}

/** The environment the stack gives the forwarder, pointed at moto_server. */
export function retryingForwarderEnv(options: RetryingForwarder): Parameters<typeof setForwarderEnv>[0] {
  return {
    SOURCES: JSON.stringify({ shop: { group: { prefix: "shop:" }, targets: { application: { url: options.targetUrl } } } }),
    POWERTOOLS_SERVICE_NAME: "webhook-forwarder",
    POWERTOOLS_LOG_LEVEL: options.logLevel ?? "INFO",
    QUEUE_URL: options.queueUrl,
    QUARANTINE_QUEUE_URL: options.deadLetterQueueUrl,
    DEAD_LETTER_QUEUE_URL: options.deadLetterQueueUrl,
    HELD_GROUPS_TABLE: options.heldGroupsTable,
    RETRY_POLICY: JSON.stringify(options.policy),
    MAX_RECEIVE_COUNT: String(options.maxReceiveCount),
    AWS_ENDPOINT_URL: options.endpoint,
    AWS_REGION: options.region,
    AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
  };
}

/** lambda/forwarder/index.ts loaded afresh (it reads its environment per invocation, its logger level at load). */
export function forwarderFromSource(): ForwarderHandler {
  let handler: ForwarderHandler | undefined;
  jest.isolateModules(() => {
    handler = (require("../../lambda/forwarder/index") as { handler: ForwarderHandler }).handler;
  });
  return handler!;
}

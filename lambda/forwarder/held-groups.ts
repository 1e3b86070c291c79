/**
 * Held message groups: once a webhook of a group is dead-lettered, the group's later webhooks
 * follow it into the DLQ instead of passing it, until the operators' tool puts the group back
 * (`webhook-queue redrive`) or discards its dead letters. The record of it is one DynamoDB item
 * per group (HELD_GROUP in ./contract.ts), written with conditional updates so that the forwarder
 * and the tool never lose each other's writes.
 *
 * One invocation reads the holds of all its groups at once (BatchGetItem, strongly consistent) and
 * keeps what it writes, so a batch that dead-letters a webhook holds the later records of its
 * group in the same batch.
 */
import type { AttributeValue, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { HELD_GROUP, HoldState } from "./contract";

export interface Hold {
  readonly group: string;
  readonly state: HoldState;
  readonly heldAtMs: number;
  readonly source?: string;
  readonly headWebhookId?: string;
  readonly reason?: string;
  readonly deadLettered: number;
  /** The deduplication IDs of the copies the tool sent back. */
  readonly copiesSent: readonly string[];
  /** The deduplication IDs of the copies the forwarder settled. */
  readonly copiesSettled: readonly string[];
}

/** What the forwarder does with the held-groups table during one invocation. */
export interface Holds {
  /** The hold on `group`, or undefined when the group flows. */
  of(group: string): Promise<Hold | undefined>;
  /** Holds `group` (or keeps it held) because this webhook's retry budget is spent (`copy`: the tool's copy's deduplication ID). */
  deadLetter(
    group: string,
    head: { readonly source: string; readonly webhookId: string; readonly reason: string; readonly copy?: string },
  ): Promise<Hold>;
  /**
   * Counts one more record sent to the DLQ behind the hold (`copy`: the tool's copy's deduplication
   * ID, settled so); undefined when the hold was released meanwhile.
   */
  appendBehind(group: string, copy?: string): Promise<Hold | undefined>;
  /** Marks a copy of the tool's (its deduplication ID) as settled: delivered. */
  settleCopy(group: string, copy: string): Promise<void>;
}

let client: DynamoDBClient | undefined;

async function dynamodb(): Promise<{ client: DynamoDBClient; sdk: typeof import("@aws-sdk/client-dynamodb") }> {
  // Loaded on first use: with no hold and no failure an invocation never writes.
  const sdk = await import("@aws-sdk/client-dynamodb");
  client ??= new sdk.DynamoDBClient({});
  return { client, sdk };
}

/** The item as a Hold. */
export function holdOf(item: Record<string, AttributeValue>): Hold {
  const text = (name: string) => item[name]?.S;
  const count = (name: string) => Number(item[name]?.N ?? 0);
  const ids = (name: string) => [...(item[name]?.SS ?? [])].sort();
  return {
    group: text(HELD_GROUP.group) ?? "",
    state: text(HELD_GROUP.state) === "redriving" ? "redriving" : "held",
    heldAtMs: count(HELD_GROUP.heldAt),
    ...(text(HELD_GROUP.source) !== undefined && { source: text(HELD_GROUP.source) }),
    ...(text(HELD_GROUP.headWebhookId) !== undefined && { headWebhookId: text(HELD_GROUP.headWebhookId) }),
    ...(text(HELD_GROUP.reason) !== undefined && { reason: text(HELD_GROUP.reason) }),
    deadLettered: count(HELD_GROUP.deadLettered),
    copiesSent: ids(HELD_GROUP.copiesSent),
    copiesSettled: ids(HELD_GROUP.copiesSettled),
  };
}

/** Attribute names as placeholders: `state` and `source` are DynamoDB reserved words. */
const NAMES = Object.fromEntries(Object.values(HELD_GROUP).map((name) => [`#${name}`, name]));

/** The placeholders the expressions use (DynamoDB refuses unused ones). */
export function namesIn(...expressions: readonly (string | undefined)[]): Record<string, string> {
  const text = `${expressions.filter(Boolean).join(" ")} `;
  return Object.fromEntries(Object.entries(NAMES).filter(([placeholder]) => new RegExp(`${placeholder}\\b`).test(text)));
}

/** A held group's key. */
export const heldGroupKey = (group: string): Record<string, AttributeValue> => ({ [HELD_GROUP.group]: { S: group } });

/** DynamoDB's answer to a failed condition: for the writers here, an answer, not an error. */
export function isConditionFailure(error: unknown): boolean {
  return (error as Error)?.name === "ConditionalCheckFailedException";
}

/** The holds of one invocation's groups, read once from `tableName`. */
export function heldGroups(tableName: string, groups: readonly string[], now: () => number = Date.now): Holds {
  let known: Promise<Map<string, Hold | undefined>> | undefined;

  const load = async (): Promise<Map<string, Hold | undefined>> => {
    const holds = new Map<string, Hold | undefined>(groups.map((group) => [group, undefined]));
    if (groups.length === 0) return holds;
    const { client, sdk } = await dynamodb();
    let keys: Record<string, AttributeValue>[] = [...new Set(groups)].map(heldGroupKey);
    for (let attempt = 0; keys.length > 0; attempt++) {
      if (attempt === 5) throw new Error(`the held-groups table ${tableName} left ${keys.length} group(s) unread after 5 tries`);
      const answer = await client.send(new sdk.BatchGetItemCommand({ RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } } }));
      for (const item of answer.Responses?.[tableName] ?? []) {
        const hold = holdOf(item);
        holds.set(hold.group, hold);
      }
      keys = answer.UnprocessedKeys?.[tableName]?.Keys ?? [];
      if (keys.length > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
    }
    return holds;
  };

  const update = async (group: string, expression: string, values: Record<string, AttributeValue>, condition?: string): Promise<Hold | undefined> => {
    const { client, sdk } = await dynamodb();
    try {
      const answer = await client.send(
        new sdk.UpdateItemCommand({
          TableName: tableName,
          Key: heldGroupKey(group),
          UpdateExpression: expression,
          ...(condition !== undefined && { ConditionExpression: condition }),
          ExpressionAttributeNames: namesIn(expression, condition),
          ExpressionAttributeValues: values,
          ReturnValues: "ALL_NEW",
        }),
      );
      const hold = holdOf(answer.Attributes ?? {});
      (await (known ??= load())).set(group, hold);
      return hold;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      (await (known ??= load())).set(group, undefined);
      return undefined;
    }
  };
  const one = { N: "1" };

  return {
    async of(group) {
      return (await (known ??= load())).get(group);
    },
    async deadLetter(group, head) {
      const hold = await update(
        group,
        `SET #${HELD_GROUP.state} = :held, #${HELD_GROUP.heldAt} = if_not_exists(#${HELD_GROUP.heldAt}, :now), ` +
          `#${HELD_GROUP.source} = :source, #${HELD_GROUP.headWebhookId} = :head, #${HELD_GROUP.reason} = :reason ` +
          `ADD #${HELD_GROUP.deadLettered} :one${head.copy ? `, #${HELD_GROUP.copiesSettled} :copy` : ""}`,
        {
          ":held": { S: "held" },
          ":now": { N: String(now()) },
          ":source": { S: head.source },
          ":head": { S: head.webhookId },
          ":reason": { S: head.reason.slice(0, 512) },
          ":one": one,
          ...(head.copy && { ":copy": { SS: [head.copy] } }),
        },
      );
      return hold!;
    },
    appendBehind(group, copy) {
      return update(
        group,
        `ADD #${HELD_GROUP.deadLettered} :one${copy ? `, #${HELD_GROUP.copiesSettled} :copy` : ""}`,
        { ":one": one, ...(copy && { ":copy": { SS: [copy] } }) },
        `attribute_exists(#${HELD_GROUP.group})`,
      );
    },
    async settleCopy(group, copy) {
      await update(group, `ADD #${HELD_GROUP.copiesSettled} :copy`, { ":copy": { SS: [copy] } }, `attribute_exists(#${HELD_GROUP.group})`);
    },
  };
}

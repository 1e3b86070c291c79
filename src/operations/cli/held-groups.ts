/**
 * The operators' side of held message groups (lambda/forwarder/held-groups.ts): a group whose
 * webhook was dead-lettered stays held, its later webhooks following it into the DLQ, until this
 * tool has put the group's dead letters back (redrive) or discarded them, and then releases it.
 *
 * The release is safe when the DLQ holds none of the group, every copy this tool sent back has been
 * settled by the forwarder (so no webhook queued before those copies can still pass them), and
 * nothing was dead-lettered since the tool looked: one conditional DeleteItem checks the last two.
 * Copies are recorded by their deduplication IDs (string sets), so a re-run or a copy settled twice
 * counts once.
 */
import { AttributeValue, DeleteItemCommand, DynamoDBClient, GetItemCommand, paginateScan, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { HELD_GROUP } from "../../../lambda/forwarder/contract";
import { Hold, heldGroupKey as key, holdOf, isConditionFailure, namesIn } from "../../../lambda/forwarder/held-groups";

export type { Hold } from "../../../lambda/forwarder/held-groups";

/** The held groups of one table. */
export class HeldGroups {
  constructor(
    private readonly client: DynamoDBClient,
    public readonly tableName: string,
  ) {}

  /** Every held group, oldest first. */
  async list(): Promise<Hold[]> {
    const holds: Hold[] = [];
    for await (const page of paginateScan({ client: this.client }, { TableName: this.tableName, ConsistentRead: true })) {
      for (const item of page.Items ?? []) holds.push(holdOf(item));
    }
    return holds.sort((a, b) => a.heldAtMs - b.heldAtMs || a.group.localeCompare(b.group));
  }

  async get(group: string): Promise<Hold | undefined> {
    const answer = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: key(group), ConsistentRead: true }));
    return answer.Item ? holdOf(answer.Item) : undefined;
  }

  /** The tool starts putting the group back: its copies are delivered from now on. Undefined when the group is not held. */
  startRedriving(group: string): Promise<Hold | undefined> {
    return this.update(group, `SET #${HELD_GROUP.state} = :redriving`, { ":redriving": { S: "redriving" } });
  }

  /** Records a copy about to be sent back (`sending`), or one whose send failed (`not sent`), by its deduplication ID. */
  recordCopy(group: string, deduplicationId: string, what: "sending" | "not sent"): Promise<Hold | undefined> {
    const verb = what === "sending" ? "ADD" : "DELETE";
    return this.update(group, `${verb} #${HELD_GROUP.copiesSent} :copy`, { ":copy": { SS: [deduplicationId] } });
  }

  /**
   * Deletes the hold `seen` as it was read, when every copy it records as sent was settled: the
   * condition fails (false) if anything was dead-lettered, sent or settled since (or the group is no
   * longer held).
   */
  async release(seen: Hold): Promise<boolean> {
    const settled = new Set(seen.copiesSettled);
    if (!seen.copiesSent.every((copy) => settled.has(copy))) return false;
    const sizeIs = (name: string, size: number, value: string) => (size === 0 ? `attribute_not_exists(#${name})` : `size(#${name}) = ${value}`);
    const condition =
      `attribute_exists(#${HELD_GROUP.group}) AND #${HELD_GROUP.deadLettered} = :seen AND ` +
      `${sizeIs(HELD_GROUP.copiesSent, seen.copiesSent.length, ":sent")} AND ${sizeIs(HELD_GROUP.copiesSettled, seen.copiesSettled.length, ":settled")}`;
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: key(seen.group),
          ConditionExpression: condition,
          ExpressionAttributeNames: namesIn(condition),
          ExpressionAttributeValues: {
            ":seen": { N: String(seen.deadLettered) },
            ...(seen.copiesSent.length > 0 && { ":sent": { N: String(seen.copiesSent.length) } }),
            ...(seen.copiesSettled.length > 0 && { ":settled": { N: String(seen.copiesSettled.length) } }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  private async update(group: string, expression: string, values: Record<string, AttributeValue>): Promise<Hold | undefined> {
    const condition = `attribute_exists(#${HELD_GROUP.group})`;
    try {
      const answer = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: key(group),
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeNames: namesIn(expression, condition),
          ExpressionAttributeValues: values,
          ReturnValues: "ALL_NEW",
        }),
      );
      return holdOf(answer.Attributes ?? {});
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }
}

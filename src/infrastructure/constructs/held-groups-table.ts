import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { Construct } from "constructs";
import { HELD_GROUP } from "../../../lambda/forwarder/contract";

export interface HeldGroupsTableProps {
  /** Physical name, e.g. `mz-dev-webhook-held-groups`. */
  readonly tableName: string;
  /** `lifecycle { prevent_destroy = true }`: without it a held group's later webhooks would pass its dead letters. @default true */
  readonly preventDestroy?: boolean;
}

/**
 * The held message groups (lambda/forwarder/held-groups.ts): one item per group whose dead letters
 * wait in the DLQ, so that the group's later webhooks follow them there instead of passing them.
 * On demand: a handful of items, read once per invocation, written only when something fails.
 */
export class HeldGroupsTable extends Construct {
  public readonly table: DynamodbTable;

  constructor(scope: Construct, id: string, props: HeldGroupsTableProps) {
    super(scope, id);
    this.table = new DynamodbTable(this, "table", {
      name: props.tableName,
      lifecycle: { preventDestroy: props.preventDestroy ?? true },
      billingMode: "PAY_PER_REQUEST",
      hashKey: HELD_GROUP.group,
      attribute: [{ name: HELD_GROUP.group, type: "S" }],
      pointInTimeRecovery: { enabled: true },
    });
  }
}

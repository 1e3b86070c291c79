import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { Testing } from "cdktf";
import { HeldGroupsTable } from "../../../src/infrastructure/constructs/held-groups-table";

function synthTable(preventDestroy?: boolean) {
  const text = Testing.synthScope((scope) => {
    new HeldGroupsTable(scope, "held-groups", { tableName: "shop-webhook-held-groups", ...(preventDestroy !== undefined && { preventDestroy }) });
  });
  return { text, table: Object.values(JSON.parse(text).resource.aws_dynamodb_table)[0] as Record<string, unknown> };
}

describe("HeldGroupsTable", () => {
  test("one item per message group (key `group`, a string), on demand, with point-in-time recovery, kept from destroy", () => {
    const { text, table } = synthTable();
    expect(text).toHaveResourceWithProperties(DynamodbTable, {
      name: "shop-webhook-held-groups",
      billing_mode: "PAY_PER_REQUEST",
      hash_key: "group",
      attribute: [{ name: "group", type: "S" }],
      point_in_time_recovery: { enabled: true },
    });
    expect(table.lifecycle).toEqual({ prevent_destroy: true });
    expect(table.range_key).toBeUndefined();
  });

  test("preventDestroy: false lets a test stack go", () => {
    expect(synthTable(false).table.lifecycle).toEqual({ prevent_destroy: false });
  });
});

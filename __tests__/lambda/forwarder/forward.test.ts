import { recordProblem, sqsRecordsOf } from "../../../lambda/forwarder/forward";
import { parseRoutes, targetsFor } from "../../../lambda/forwarder/routes";
import { sqsEvent, sqsRecord } from "./sqs-events";

describe("sqsRecordsOf", () => {
  test("returns the records of an SQS event", () => {
    const event = sqsEvent({ messageId: "m-1", group: "orders" }, { messageId: "m-2", group: "orders" });
    expect(sqsRecordsOf(event)).toBe(event.Records);
  });

  test.each([
    ["null", null],
    ["a string", "Records"],
    ["Records that is not a list", { Records: {} }],
    ["an SNS record", { Records: [{ EventSource: "aws:sns" }] }],
    ["a record without messageId", { Records: [{ eventSource: "aws:sqs" }] }],
  ])("refuses %s", (_name, event) => {
    expect(() => sqsRecordsOf(event)).toThrow(/not an SQS event/);
  });
});

describe("recordProblem", () => {
  const routes = parseRoutes('{"orders":{"application":"https://example.com/hook"}}');

  test("a routed record with a body can be sent", () => {
    expect(recordProblem(sqsRecord({ messageId: "m-1", group: "orders" }), targetsFor(routes, "orders"))).toBeUndefined();
  });

  test("a group without a route cannot", () => {
    expect(recordProblem(sqsRecord({ messageId: "m-1", group: "payments" }), targetsFor(routes, "payments"))).toBe(
      "no route for its message group",
    );
  });

  test.each([null, ""])("a body of %p cannot", (body) => {
    expect(recordProblem(sqsRecord({ messageId: "m-1", group: "orders", body }), targetsFor(routes, "orders"))).toBe("no body");
  });
});

/** HTTP API parameter mapping, as the local gateway evaluates it. */
import { mapParameter, MappedRequest } from "../../../../src/operations/local/gateway/parameter-mapping";

function request(overrides: Partial<MappedRequest> = {}): MappedRequest {
  return {
    method: "POST",
    path: "/sqs-hook",
    headers: { "x-saas-event": ["approval"], "x-multi": ["a", "b"] },
    query: new URLSearchParams("tenant=t1&tag=x&tag=y"),
    pathParameters: { id: "42" },
    body: JSON.stringify({ event: { type: "approval.updated", ids: [7, 8] }, "odd key": "v" }),
    context: { requestId: "Kq0ZXj2xNjMEJdw=", routeKey: "POST /sqs-hook" },
    ...overrides,
  };
}

describe("mapParameter (HTTP API parameter mapping)", () => {
  test.each([
    ["$request.body", JSON.stringify({ event: { type: "approval.updated", ids: [7, 8] }, "odd key": "v" })],
    ["$request.body.event.type", "approval.updated"],
    ["$request.body.event.ids[1]", "8"],
    ["$request.body.event", JSON.stringify({ type: "approval.updated", ids: [7, 8] })],
    ["$request.body['odd key']", "v"],
    ["$request.header.X-SaaS-Event", "approval"],
    ["$request.header.x-multi", "a,b"],
    ["$request.querystring.tenant", "t1"],
    ["$request.querystring.tag", "x,y"],
    ["$request.path.id", "42"],
    ["$context.requestId", "Kq0ZXj2xNjMEJdw="],
    ["mz-dev-sqs-webhook", "mz-dev-sqs-webhook"],
  ])("%s -> %s", (expression, expected) => {
    expect(mapParameter(expression, request())).toBe(expected);
  });

  test.each([
    "$request.header.missing",
    "$request.querystring.Tenant",
    "$request.body.nothing.here",
    "$request.path.other",
    "$stageVariables.x",
    "$context.unknown",
  ])("%s has no value", (expression) => {
    expect(mapParameter(expression, request())).toBeUndefined();
  });

  test("a JSONPath into a body that is not JSON has no value; the whole body still maps", () => {
    expect(mapParameter("$request.body.a", request({ body: "plain text" }))).toBeUndefined();
    expect(mapParameter("$request.body", request({ body: "plain text" }))).toBe("plain text");
  });
});

/**
 * The local gateway's IAM authorization: SigV4 by a key it issued, then the key's role's policies
 * for `execute-api:Invoke`, here the invoke policy the stack synthesizes for the forwarder.
 */
import { signRequest } from "../../../../lambda/forwarder/sigv4";
import { authorizeIam, evaluatePolicies, IamAuthority } from "../../../../src/operations/local/gateway/iam-authorization";
import { synth } from "../../../support/synth";

const EXECUTION_ARN = "arn:aws:execute-api:ap-northeast-1:123456789012:api1";
const ROUTE = `${EXECUTION_ARN}/$default/POST/application-hook`;
const NOW = new Date("2026-12-07T12:00:00Z");

/** The forwarder's invoke policy as the mz-dev stack writes it, with the API's execution ARN filled in. */
const invokePolicy = JSON.stringify({
  Version: "2012-10-17",
  Statement: synth().json.data.aws_iam_policy_document.webhook_event_producer_invoke_policy.statement.map(
    (statement: { actions: string[]; resources: string[] }) => ({
      Effect: "Allow",
      Action: statement.actions,
      Resource: statement.resources.map((resource) => resource.replace("${data.aws_apigatewayv2_api.this.execution_arn}", EXECUTION_ARN)),
    }),
  ),
});

const forwarder = {
  secretAccessKey: "forwarder-secret",
  sessionToken: "t1",
  roleArn: "arn:aws:iam::123456789012:role/forwarder",
  callerArn: "arn:aws:sts::123456789012:assumed-role/forwarder/fn",
};
const application = {
  secretAccessKey: "app-secret",
  sessionToken: "t2",
  roleArn: "arn:aws:iam::123456789012:role/app",
  callerArn: "arn:aws:sts::123456789012:assumed-role/app/fn",
};
const authority: IamAuthority = {
  region: "ap-northeast-1",
  identityOf: (key) => ({ ASIAFORWARDER: forwarder, ASIAAPP: application })[key],
  policiesOf: async (roleArn) => (roleArn === forwarder.roleArn ? [invokePolicy] : []),
};

function signedBy(accessKeyId: string, secret: { secretAccessKey: string; sessionToken: string }, path = "/application-hook") {
  const url = new URL(`http://127.0.0.1:4000${path}`);
  const headers = { "content-type": "application/json", "webhook-id": "wh_1" };
  const signed = signRequest(
    { method: "POST", url, headers, body: "{}" },
    { accessKeyId, ...secret },
    { region: "ap-northeast-1", service: "execute-api" },
    NOW,
  );
  return { method: "POST", path, headers: { ...headers, host: url.host, ...signed }, body: Buffer.from("{}") };
}

describe("authorizeIam", () => {
  test("the forwarder's role, signing, may invoke the application's route", async () => {
    await expect(authorizeIam(signedBy("ASIAFORWARDER", forwarder), ROUTE, authority, NOW)).resolves.toEqual({ allowed: true, identity: forwarder });
  });

  test("a direct request with invented headers and no signature is refused", async () => {
    const request = {
      method: "POST",
      path: "/application-hook",
      headers: { "webhook-id": "invented", "x-webhook-source": "github" },
      body: Buffer.from("{}"),
    };
    await expect(authorizeIam(request, ROUTE, authority, NOW)).resolves.toEqual({ allowed: false, why: expect.stringMatching(/unsigned/) });
  });

  test("another role, validly signed, is not allowed: only the forwarder's may invoke the route", async () => {
    await expect(authorizeIam(signedBy("ASIAAPP", application), ROUTE, authority, NOW)).resolves.toEqual({
      allowed: false,
      why: `${application.roleArn} is not allowed execute-api:Invoke on ${ROUTE}`,
    });
  });

  test("the forwarder's role may not invoke another route", async () => {
    const other = `${EXECUTION_ARN}/$default/POST/admin`;
    await expect(authorizeIam(signedBy("ASIAFORWARDER", forwarder, "/admin"), other, authority, NOW)).resolves.toMatchObject({ allowed: false });
  });

  test("a key nobody issued, or a signature made with another secret, is refused", async () => {
    await expect(authorizeIam(signedBy("ASIASTRANGER", forwarder), ROUTE, authority, NOW)).resolves.toMatchObject({ allowed: false });
    await expect(authorizeIam(signedBy("ASIAFORWARDER", { ...forwarder, secretAccessKey: "guess" }), ROUTE, authority, NOW)).resolves.toMatchObject({
      allowed: false,
      why: "the signature does not match the request",
    });
  });
});

describe("evaluatePolicies", () => {
  const allow = (action: unknown, resource: unknown, extra = {}) =>
    JSON.stringify({ Statement: [{ Effect: "Allow", Action: action, Resource: resource, ...extra }] });
  const deny = (action: unknown, resource: unknown) => JSON.stringify({ Statement: { Effect: "Deny", Action: action, Resource: resource } });

  test.each<[string, string[], "allow" | "deny" | "none"]>([
    ["the exact action and resource", [allow("execute-api:Invoke", ROUTE)], "allow"],
    ["actions without regard to case, resources with wildcards", [allow("Execute-API:invoke", `${EXECUTION_ARN}/*/POST/*`)], "allow"],
    ["a ? matches one character", [allow("execute-api:Invok?", `${EXECUTION_ARN}/$default/POST/application-hoo?`)], "allow"],
    ["another resource", [allow("execute-api:Invoke", `${EXECUTION_ARN}/$default/GET/application-hook`)], "none"],
    ["another action", [allow("execute-api:ManageConnections", ROUTE)], "none"],
    ["an explicit deny wins over an allow", [allow("execute-api:*", "*"), deny("execute-api:Invoke", ROUTE)], "deny"],
    ["NotAction excludes it", [JSON.stringify({ Statement: [{ Effect: "Allow", NotAction: "execute-api:*", Resource: "*" }] })], "none"],
    [
      "a condition is not evaluated: it grants nothing",
      [allow("execute-api:Invoke", ROUTE, { Condition: { Bool: { "aws:SecureTransport": "true" } } })],
      "none",
    ],
    ["a URL-encoded document, as IAM returns them", [encodeURIComponent(allow("execute-api:Invoke", ROUTE))], "allow"],
    ["no policy", [], "none"],
  ])("%s: %s", (_name, documents, expected) => {
    expect(evaluatePolicies(documents, "execute-api:Invoke", ROUTE)).toBe(expected);
  });
});

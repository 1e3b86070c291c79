/**
 * The forwarder's SigV4 signer against AWS's published example and against the AWS SDK's own
 * verification (the local gateway's, src/operations/local/gateway/sigv4-verification.ts).
 */
import { lambdaCredentials, signRequest } from "../../../lambda/forwarder/sigv4";
import { verifySignatureV4 } from "../../../src/operations/local/gateway/sigv4-verification";

const NOW = new Date("2026-01-15T12:00:00Z");
const credentials = {
  accessKeyId: "ASIAEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  sessionToken: "FwoGZXIvYXdz//token==",
};
const scope = { region: "ap-northeast-1", service: "execute-api" };
const secretOf = (key: string) => (key === credentials.accessKeyId ? credentials : undefined);

test("AWS's published example (IAM ListUsers, 2015-08-30) gives AWS's signature", () => {
  const headers = signRequest(
    {
      method: "GET",
      url: new URL("https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08"),
      headers: { "Content-Type": "application/x-www-form-urlencoded; charset=utf-8" },
      body: "",
    },
    { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
    { region: "us-east-1", service: "iam" },
    new Date("2015-08-30T12:36:00Z"),
  );
  expect(headers).toEqual({
    "x-amz-date": "20150830T123600Z",
    authorization:
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, " +
      "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
  });
});

describe("requests the SDK's signer verifies", () => {
  test.each([
    ["a webhook to a route", "https://abc123.execute-api.ap-northeast-1.amazonaws.com/application-hook", '{"id":1}'],
    ["a port, a path with spaces and unicode", "http://127.0.0.1:41059/hooks/a%20b/caf%C3%A9", '{"name":"Zoë"}'],
    ["a query with repeated keys, reserved characters and an empty value", "https://h.example/p?b=2&a=1&a=0&c=*x!(y)'&e=", "{}"],
    ["an empty body", "https://h.example/", ""],
  ])("%s", async (_name, url, body) => {
    const target = new URL(url);
    const sent = { "content-type": "application/json", "webhook-id": "wh_1", "x-webhook-source": "github" };
    const signed = signRequest({ method: "POST", url: target, headers: sent, body }, credentials, scope, NOW);
    const request = { method: "POST", path: `${target.pathname}${target.search}`, headers: { ...sent, host: target.host, ...signed }, body };
    await expect(verifySignatureV4(request, secretOf, scope, NOW)).resolves.toEqual({ valid: true, accessKeyId: "ASIAEXAMPLE" });
  });
});

describe("what the gateway's verification refuses", () => {
  const target = new URL("https://abc123.execute-api.ap-northeast-1.amazonaws.com/application-hook");
  const sent = { "content-type": "application/json", "webhook-id": "wh_1" };
  const signed = signRequest({ method: "POST", url: target, headers: sent, body: "{}" }, credentials, scope, NOW);
  const request = { method: "POST", path: target.pathname, headers: { ...sent, host: target.host, ...signed } as Record<string, string>, body: "{}" };

  test.each<[string, Record<string, unknown>, Date, RegExp]>([
    ["no signature", { headers: { ...request.headers, authorization: undefined } }, NOW, /unsigned/],
    ["another body", { body: '{"x":1}' }, NOW, /does not match/],
    ["another path", { path: "/other-hook" }, NOW, /does not match/],
    ["a signed header changed", { headers: { ...request.headers, "webhook-id": "wh_2" } }, NOW, /does not match/],
    [
      "an unknown key",
      { headers: { ...request.headers, authorization: request.headers.authorization.replace("ASIAEXAMPLE", "ASIAOTHER") } },
      NOW,
      /unknown/,
    ],
    ["no security token", { headers: { ...request.headers, "x-amz-security-token": undefined } }, NOW, /security token/],
    ["signed 16 minutes ago", {}, new Date(NOW.getTime() + 16 * 60_000), /too far from now/],
  ])("%s", async (_name, change, now, why) => {
    await expect(verifySignatureV4({ ...request, ...change } as typeof request, secretOf, scope, now)).resolves.toEqual({
      valid: false,
      why: expect.stringMatching(why),
    });
  });

  test("another region or service", async () => {
    await expect(verifySignatureV4(request, secretOf, { region: "us-east-1", service: "execute-api" }, NOW)).resolves.toMatchObject({ valid: false });
    await expect(verifySignatureV4(request, secretOf, { region: "ap-northeast-1", service: "lambda" }, NOW)).resolves.toMatchObject({ valid: false });
  });
});

test("the function's credentials come from the variables Lambda sets; none without a key or a region", () => {
  expect(lambdaCredentials({ AWS_ACCESS_KEY_ID: "A", AWS_SECRET_ACCESS_KEY: "S", AWS_SESSION_TOKEN: "T", AWS_REGION: "ap-northeast-1" })).toEqual({
    accessKeyId: "A",
    secretAccessKey: "S",
    sessionToken: "T",
    region: "ap-northeast-1",
  });
  expect(lambdaCredentials({ AWS_ACCESS_KEY_ID: "A", AWS_SECRET_ACCESS_KEY: "S", AWS_DEFAULT_REGION: "eu-west-1" })).toEqual({
    accessKeyId: "A",
    secretAccessKey: "S",
    region: "eu-west-1",
  });
  expect(lambdaCredentials({ AWS_ACCESS_KEY_ID: "A", AWS_REGION: "ap-northeast-1" })).toBeUndefined();
  expect(lambdaCredentials({ AWS_ACCESS_KEY_ID: "A", AWS_SECRET_ACCESS_KEY: "S" })).toBeUndefined();
});

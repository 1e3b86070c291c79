import { parseRoutes, targetsFor } from "../../../lambda/forwarder/routes";

describe("parseRoutes", () => {
  test("maps each message group to its named targets", () => {
    const routes = parseRoutes(
      JSON.stringify({
        "mz-dev-sqs-webhook": {
          application: "https://abc.execute-api.ap-northeast-1.amazonaws.com/application-hook",
          audit: "http://127.0.0.1:8080/audit",
        },
      }),
    );

    expect([...routes.keys()]).toEqual(["mz-dev-sqs-webhook"]);
    expect(targetsFor(routes, "mz-dev-sqs-webhook")?.map(({ name, url }) => [name, url.href])).toEqual([
      ["application", "https://abc.execute-api.ap-northeast-1.amazonaws.com/application-hook"],
      ["audit", "http://127.0.0.1:8080/audit"],
    ]);
  });

  test.each([
    [undefined, /ROUTES is not set/],
    ["  ", /ROUTES is not set/],
    ["{", /ROUTES is not valid JSON/],
    ["null", /at least one message group/],
    ['"https://example.com"', /at least one message group/],
    ["[]", /at least one message group/],
    ["{}", /at least one message group/],
    ['{"g":{}}', /ROUTES\["g"\] must map at least one target name/],
    ['{"g":["https://example.com"]}', /ROUTES\["g"\] must map at least one target name/],
    ['{"g":"https://example.com"}', /ROUTES\["g"\] must map at least one target name/],
    ['{"g":{"app":42}}', /ROUTES\["g"\]\["app"\] must be an absolute http\(s\) URL; got 42/],
    ['{"g":{"app":"example.com/hook"}}', /must be an absolute http\(s\) URL/],
    ['{"g":{"app":"file:///etc/passwd"}}', /must use https: or http:; got file:/],
  ])("ROUTES=%s is refused", (raw, message) => {
    expect(() => parseRoutes(raw)).toThrow(message);
  });
});

describe("targetsFor", () => {
  const routes = parseRoutes('{"orders":{"application":"https://example.com/hook"}}');

  test("is undefined for a group that is not routed or a record without a group", () => {
    expect(targetsFor(routes, "payments")).toBeUndefined();
    expect(targetsFor(routes, undefined)).toBeUndefined();
  });
});

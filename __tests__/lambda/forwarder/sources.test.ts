import { parseSources, sourceOfGroup } from "../../../lambda/forwarder/sources";

describe("parseSources", () => {
  test("maps each source to its named targets and its signature", () => {
    const sources = parseSources(
      JSON.stringify({
        default: {
          group: { static: "mz-dev-sqs-webhook" },
          targets: {
            application: { url: "https://abc.execute-api.ap-northeast-1.amazonaws.com/application-hook", awsIam: true },
            audit: { url: "http://127.0.0.1:8080/audit" },
          },
        },
        github: {
          group: { prefix: "github:" },
          targets: { application: { url: "https://app.example.com/hook", signingSecretParameter: "/webhooks/app" } },
          signature: { scheme: "github", secretParameters: ["/webhooks/github"] },
        },
      }),
    );
    expect([...sources.keys()]).toEqual(["default", "github"]);
    expect(sources.get("default")?.targets.map(({ name, url }) => [name, url.href])).toEqual([
      ["application", "https://abc.execute-api.ap-northeast-1.amazonaws.com/application-hook"],
      ["audit", "http://127.0.0.1:8080/audit"],
    ]);
    expect(sources.get("default")?.signature).toBeUndefined();
    expect(sources.get("default")?.targets.map((target) => target.awsIam)).toEqual([true, undefined]);
    expect(sources.get("default")?.group).toEqual({ static: "mz-dev-sqs-webhook" });
    expect(sources.get("github")).toMatchObject({
      name: "github",
      group: { prefix: "github:" },
      signature: { scheme: "github", secretParameters: ["/webhooks/github"] },
      targets: [{ name: "application", signingSecretParameter: "/webhooks/app" }],
    });
    expect(sources.get("default")?.targets[0]).not.toHaveProperty("signingSecretParameter");
  });

  test.each([
    [undefined, /SOURCES is not set/],
    ["  ", /SOURCES is not set/],
    ["{", /SOURCES is not valid JSON/],
    ["null", /SOURCES must be at least one source/],
    ['"https://example.com"', /at least one source/],
    ["[]", /at least one source/],
    ["{}", /at least one source/],
    ['{"g":{}}', /SOURCES\["g"\]\["group"\] must be \{ static: "<group ID>" \} or \{ prefix: "g:" \}/],
    ['{"g":{"group":{"prefix":"h:"},"targets":{"app":{"url":"https://example.com"}}}}', /SOURCES\["g"\]\["group"\]/],
    ['{"g":{"group":{"static":"g"},"targets":[]}}', /SOURCES\["g"\]\["targets"\] must be at least one target/],
    [
      '{"g":{"group":{"static":"g"},"targets":{"app":"https://example.com"}}}',
      /SOURCES\["g"\]\["targets"\]\["app"\] must be \{ url, signingSecretParameter\? \}/,
    ],
    [
      '{"g":{"group":{"static":"g"},"targets":{"app":{"url":42}}}}',
      /SOURCES\["g"\]\["targets"\]\["app"\]\["url"\] must be an absolute https:\/\/ or http:\/\/ URL; got 42/,
    ],
    [
      '{"g":{"group":{"static":"g"},"targets":{"app":{"url":"file:///etc/passwd"}}}}',
      /must be an absolute https:\/\/ or http:\/\/ URL; got "file:\/\/\/etc\/passwd"/,
    ],
    ['{"g":{"group":{"static":"g"},"targets":{"app":{"url":"/application-hook"}}}}', /got "\/application-hook"/],
    ['{"g h":{"targets":{"app":{"url":"https://example.com"}}}}', /SOURCES\["g h"\] must be a source name/],
    [
      '{"g":{"group":{"static":"g"},"targets":{"app":{"url":"https://example.com"}},"signature":{"scheme":"sha1","secretParameters":["/s"]}}}',
      /SOURCES\["g"\]\["signature"\]\["scheme"\] must be github, stripe/,
    ],
  ])("SOURCES=%s is refused", (raw, message) => {
    expect(() => parseSources(raw)).toThrow(message);
  });

  test("bad JSON: the parser's message, and its error as the cause", () => {
    let error: Error | undefined;
    try {
      parseSources("{");
    } catch (caught) {
      error = caught as Error;
    }
    expect(error?.message).toMatch(/^SOURCES is not valid JSON \(.+\); expected \{"<source>"/);
    expect(error?.cause).toBeInstanceOf(SyntaxError);
  });

  test("the first problem is named with its path, what is allowed and the value", () => {
    expect(() =>
      parseSources('{"g":{"group":{"static":"g"},"targets":{"app":{"url":"https://example.com","signingSecretParameter":"a b"}}}}'),
    ).toThrow(
      'SOURCES["g"]["targets"]["app"]["signingSecretParameter"] must be an SSM parameter name, e.g. /webhooks/application/signing-secret; got "a b"',
    );
  });
});

describe("sourceOfGroup", () => {
  const sources = parseSources(
    JSON.stringify({
      default: { group: { static: "mz-dev-sqs-webhook" }, targets: { app: { url: "https://example.com" } } },
      github: { group: { prefix: "github:" }, targets: { app: { url: "https://example.com" } } },
    }),
  );

  test.each([
    ["mz-dev-sqs-webhook", "default"],
    ["github:42", "github"],
    ["github:", "github"],
    ["github", undefined],
    ["mz-dev-sqs-webhook:1", undefined],
    ["", undefined],
    [undefined, undefined],
  ])("group %j is source %j's", (group, source) => {
    expect(sourceOfGroup(group, sources)?.name).toBe(source);
  });
});

/**
 * What the stack and the forwarder agree on: the names, the sources table's rules (the same
 * function checks the settings at synth time and SOURCES in the handler) and the timeout rule.
 */
import {
  backoffSeconds,
  backstopReceiveCount,
  configPath,
  DEFAULT_RETRY_POLICY,
  isRedrivenCopy,
  parseRetryPolicy,
  receivesWithinBudget,
  retryPolicyProblems,
  defaultForwardTimeoutMs,
  groupMatches,
  headerAttribute,
  mappedValue,
  PARAMETER_NAME,
  parseForwardTimeoutMs,
  SOURCE_NAME,
  SOURCES_SHAPE,
  sourceProblems,
  TargetRules,
} from "../../../lambda/forwarder/contract";

const STRICT: TargetRules = { schemes: ["https:"], allowApiPaths: false };
const HANDLER: TargetRules = { schemes: ["https:", "http:"], allowApiPaths: false };
const STACK: TargetRules = { schemes: ["https:"], allowApiPaths: true };

const TARGETS = { application: { url: "https://app.example.com/hook" } };

/** The problems of one source `g` with these fields (its targets unless given). */
function problemsOf(source: Record<string, unknown>, rules: TargetRules = STRICT) {
  return sourceProblems({ g: { group: { static: "g" }, targets: TARGETS, ...source } }, rules);
}

/** The problems of one signature config on an otherwise valid source. */
function signatureProblemsOf(signature: unknown) {
  return problemsOf({ signature });
}

describe("names", () => {
  test("a header's attribute is its lower-case name under header.", () => {
    expect(headerAttribute("X-Hub-Signature-256")).toBe("header.x-hub-signature-256");
  });

  test("configPath writes each key as a JSON string in brackets", () => {
    expect(configPath(["github", "targets", "app"])).toBe('["github"]["targets"]["app"]');
    expect(configPath(['a"b'])).toBe('["a\\"b"]');
    expect(configPath([])).toBe("");
  });

  test("mappedValue strips the prefix only at the start", () => {
    expect(mappedValue("v=abc")).toBe("abc");
    expect(mappedValue("xv=abc")).toBe("xv=abc");
  });

  test("a source name: 1..48 letters, digits, '_' and '-', starting with a letter or digit", () => {
    for (const name of ["g", "0", "github", "git_hub-2", "a".repeat(48)]) expect(SOURCE_NAME.test(name)).toBe(true);
    for (const name of ["", "_g", "-g", "a".repeat(49), "git hub", "github!", "gït"]) expect(SOURCE_NAME.test(name)).toBe(false);
  });

  test("an SSM parameter name: a path or a plain name of letters, digits and _.-/", () => {
    for (const name of ["/webhooks/github/secret", "plain", "a", "/a", "web.hooks_secret-1", "x".repeat(1011), `/${"x".repeat(1011)}`]) {
      expect(PARAMETER_NAME.test(name)).toBe(true);
    }
    for (const name of ["", "white space", "secret!", "!secret", "x".repeat(1012), "/webhooks/sécret"]) {
      expect(PARAMETER_NAME.test(name)).toBe(false);
    }
  });
});

describe("sourceProblems: the table", () => {
  test.each([
    ["undefined", undefined],
    ["null", null],
    ["a string", "github"],
    ["an array", [{ targets: TARGETS }]],
    ["an empty object", {}],
  ])("%s is no table: one problem at the top, showing the shape", (_name, sources) => {
    expect(sourceProblems(sources, STRICT)).toEqual([{ path: [], value: sources, allowed: `at least one source, ${SOURCES_SHAPE}` }]);
  });

  test("the shape names sources, targets and the optional signature", () => {
    expect(SOURCES_SHAPE).toBe(
      '{"<source>": {"group": {"static": "<id>"} | {"prefix": "<source>:"}, "targets": {"<name>": {"url": "<absolute URL>"}}, "signature"?: {...}}}',
    );
  });

  test("a valid table has no problem, whatever the number of sources", () => {
    expect(
      sourceProblems(
        { default: { group: { static: "mz-dev-sqs-webhook" }, targets: TARGETS }, github: { group: { prefix: "github:" }, targets: TARGETS } },
        STRICT,
      ),
    ).toEqual([]);
  });

  test("a bad source name is reported, and its source is still checked", () => {
    expect(sourceProblems({ "git hub": { group: { static: "gh" }, targets: {} } }, STRICT)).toEqual([
      { path: ["git hub"], value: "git hub", allowed: "a source name: 1..48 letters, digits, '_' and '-'" },
      { path: ["git hub", "targets"], value: {}, allowed: 'at least one target {"<name>": {"url": "<URL>"}}' },
    ]);
  });

  test.each([
    ["a string", "https://example.com"],
    ["null", null],
    ["an array", [TARGETS]],
  ])("a source that is %s is reported as such, and nothing more about it", (_name, source) => {
    expect(sourceProblems({ g: source, h: { group: { static: "h" }, targets: TARGETS } }, STRICT)).toEqual([
      { path: ["g"], value: source, allowed: "{ group, targets, signature? }" },
    ]);
  });

  test.each([
    ["missing", undefined],
    ["empty", {}],
    ["a list", [{ url: "https://example.com" }]],
    ["a URL", "https://example.com"],
  ])("targets %s: at least one target", (_name, targets) => {
    expect(sourceProblems({ g: { group: { static: "g" }, targets } }, STRICT)).toEqual([
      { path: ["g", "targets"], value: targets, allowed: 'at least one target {"<name>": {"url": "<URL>"}}' },
    ]);
  });

  test("every target of every source is checked, each problem at its own path", () => {
    expect(
      sourceProblems(
        {
          a: { group: { static: "a" }, targets: { one: { url: "https://example.com" }, two: { url: "ftp://example.com" } } },
          b: { group: { static: "b" }, targets: { three: { url: 3 } } },
        },
        STRICT,
      ).map((found) => found.path),
    ).toEqual([
      ["a", "targets", "two", "url"],
      ["b", "targets", "three", "url"],
    ]);
  });
});

describe("sourceProblems: the message groups a source's route writes", () => {
  test.each([
    [{ static: "g" }, true],
    [{ static: "mz-dev-sqs-webhook" }, true],
    [{ prefix: "g:" }, true],
    [{ prefix: "h:" }, false],
    [{ prefix: "g" }, false],
    [{ static: "" }, false],
    [{ static: "g", prefix: "g:" }, false],
    [{}, false],
    ["g", false],
    [undefined, false],
  ])("%j: accepted %s", (group, accepted) => {
    expect(problemsOf({ group })).toEqual(
      accepted ? [] : [{ path: ["g", "group"], value: group, allowed: '{ static: "<group ID>" } or { prefix: "g:" }' }],
    );
  });

  test("groupMatches: a static group exactly, a prefix at the start only", () => {
    expect([groupMatches({ static: "orders" }, "orders"), groupMatches({ static: "orders" }, "orders:1")]).toEqual([true, false]);
    expect([
      groupMatches({ prefix: "github:" }, "github:42"),
      groupMatches({ prefix: "github:" }, "github:"),
      groupMatches({ prefix: "github:" }, "xgithub:42"),
    ]).toEqual([true, true, false]);
  });
});

describe("sourceProblems: a target", () => {
  test.each([
    ["a string", "https://example.com/hook"],
    ["null", null],
    ["an array", ["https://example.com/hook"]],
  ])("that is %s is refused as a whole, saying what a URL may be", (_name, config) => {
    expect(sourceProblems({ g: { group: { static: "g" }, targets: { app: config } } }, HANDLER)).toEqual([
      { path: ["g", "targets", "app"], value: config, allowed: "{ url, signingSecretParameter? } with url an absolute https:// or http:// URL" },
    ]);
  });

  test.each<[string, TargetRules, string]>([
    ["https only", STRICT, "an absolute https:// URL"],
    ["https and http", HANDLER, "an absolute https:// or http:// URL"],
    ["with paths on the API", STACK, "an absolute https:// URL, or a path starting with '/' on the existing HTTP API"],
  ])("the URL rule, %s, is said as it is", (_name, rules, allowed) => {
    expect(problemsOf({ targets: { app: { url: "nowhere" } } }, rules)).toEqual([
      { path: ["g", "targets", "app", "url"], value: "nowhere", allowed },
    ]);
  });

  test.each<[string, unknown, TargetRules, boolean]>([
    ["an https URL", "https://app.example.com/hook", STRICT, true],
    ["an https URL with credentials and a query", "https://user:pw@app.example.com:8443/hook?x=1", STRICT, true],
    ["an http URL where http is allowed", "http://127.0.0.1:8080/hook", HANDLER, true],
    ["an http URL where it is not", "http://127.0.0.1:8080/hook", STRICT, false],
    ["a file URL", "file:///etc/passwd", HANDLER, false],
    ["a path, where paths are allowed", "/application-hook", STACK, true],
    ["a path, where they are not", "/application-hook", HANDLER, false],
    ["a path-like string that does not start with /", "application-hook/", STACK, false],
    ["a host without a scheme", "app.example.com/hook", STACK, false],
    ["a number", 42, STACK, false],
    ["no URL", undefined, STACK, false],
    ["an object", { href: "https://app.example.com/hook" }, STACK, false],
  ])("%s: accepted %p", (_name, url, rules, accepted) => {
    expect(problemsOf({ targets: { app: { url } } }, rules)).toEqual(
      accepted ? [] : [expect.objectContaining({ path: ["g", "targets", "app", "url"], value: url })],
    );
  });

  test.each([
    ["a path", "/webhooks/application/signing-secret", true],
    ["a plain name", "signing-secret", true],
    ["a name with a space", "signing secret", false],
    ["an empty name", "", false],
    ["a number", 42, false],
    ["null", null, false],
    ["a list", ["/webhooks/app"], false],
  ])("a signing secret parameter that is %s: accepted %p", (_name, signingSecretParameter, accepted) => {
    expect(problemsOf({ targets: { app: { url: "https://app.example.com/hook", signingSecretParameter } } })).toEqual(
      accepted
        ? []
        : [
            {
              path: ["g", "targets", "app", "signingSecretParameter"],
              value: signingSecretParameter,
              allowed: "an SSM parameter name, e.g. /webhooks/application/signing-secret",
            },
          ],
    );
  });

  test("a bad URL and a bad secret are both reported", () => {
    expect(problemsOf({ targets: { app: { url: "nowhere", signingSecretParameter: "a b" } } }).map((found) => found.path.at(-1))).toEqual([
      "url",
      "signingSecretParameter",
    ]);
  });
});

describe("sourceProblems: a signature", () => {
  test.each([
    ["a scheme name", "github"],
    ["null", null],
    ["a list", [{ scheme: "github" }]],
  ])("that is %s is refused as a whole, naming the schemes", (_name, signature) => {
    expect(signatureProblemsOf(signature)).toEqual([
      {
        path: ["g", "signature"],
        value: signature,
        allowed: "{ scheme: github | stripe | standard-webhooks | hmac-sha256, secretParameters: [...] }",
      },
    ]);
  });

  test.each([
    { scheme: "github", secretParameters: ["/webhooks/github"] },
    { scheme: "stripe", secretParameters: ["/webhooks/stripe"] },
    { scheme: "stripe", secretParameters: ["/webhooks/stripe"], toleranceSeconds: 1 },
    { scheme: "standard-webhooks", secretParameters: ["/old", "/new"], toleranceSeconds: 86_400 },
    { scheme: "hmac-sha256", secretParameters: ["/webhooks/shop"], header: "X-Shop-Hmac-Sha256", encoding: "base64" },
    { scheme: "hmac-sha256", secretParameters: ["/webhooks/shop"], header: "x-signature", encoding: "hex", prefix: "sha256=" },
    { scheme: "hmac-sha256", secretParameters: ["/webhooks/shop"], header: "X", encoding: "hex", prefix: "" },
  ])("%j is valid", (signature) => {
    expect(signatureProblemsOf(signature)).toEqual([]);
  });

  test.each(["sha1", "GitHub", "", undefined, 1])("a scheme %p is refused, naming the schemes", (scheme) => {
    expect(signatureProblemsOf({ scheme, secretParameters: ["/s"] })).toEqual([
      { path: ["g", "signature", "scheme"], value: scheme, allowed: "github, stripe, standard-webhooks, hmac-sha256" },
    ]);
  });

  test.each([
    ["missing", undefined],
    ["a single name", "/webhooks/github"],
    ["empty", []],
    ["a number among them", ["/webhooks/github", 7]],
    ["a bad name among good ones", ["/webhooks/github", "bad name"]],
    ["a bad name first", ["bad name", "/webhooks/github"]],
    ["an empty name", [""]],
  ])("secret parameters %s are refused", (_name, secretParameters) => {
    expect(signatureProblemsOf({ scheme: "github", secretParameters })).toEqual([
      {
        path: ["g", "signature", "secretParameters"],
        value: secretParameters,
        allowed: "one or more SSM parameter names (several while a secret rotates)",
      },
    ]);
  });

  describe.each(["stripe", "standard-webhooks"])("the tolerance of %s", (scheme) => {
    test.each([1, 300, 86_400])("%p seconds is accepted", (toleranceSeconds) => {
      expect(signatureProblemsOf({ scheme, secretParameters: ["/s"], toleranceSeconds })).toEqual([]);
    });

    test.each([0, -1, 86_401, 1.5, "300", null, Number.NaN])("%p is refused", (toleranceSeconds) => {
      expect(signatureProblemsOf({ scheme, secretParameters: ["/s"], toleranceSeconds })).toEqual([
        { path: ["g", "signature", "toleranceSeconds"], value: toleranceSeconds, allowed: "1..86400 seconds" },
      ]);
    });
  });

  test("a tolerance on a scheme without a timestamp is refused: it would be accepted and ignored", () => {
    expect(signatureProblemsOf({ scheme: "github", secretParameters: ["/s"], toleranceSeconds: 300 })).toEqual([
      {
        path: ["g", "signature", "toleranceSeconds"],
        value: 300,
        allowed: "nothing: github signatures carry no timestamp (only stripe and standard-webhooks do)",
      },
    ]);
    expect(signatureProblemsOf({ scheme: "hmac-sha256", secretParameters: ["/s"], header: "X-Sig", encoding: "hex", toleranceSeconds: "x" })).toEqual(
      [expect.objectContaining({ path: ["g", "signature", "toleranceSeconds"], allowed: expect.stringMatching(/^nothing: hmac-sha256 signatures/) })],
    );
    // An unknown scheme is reported as such, not its tolerance.
    expect(signatureProblemsOf({ scheme: "md5", secretParameters: ["/s"], toleranceSeconds: 1 }).map((found) => found.path.at(-1))).toEqual([
      "scheme",
    ]);
  });

  test.each([
    ["missing", undefined],
    ["a number", 1],
    ["empty", ""],
    ["with a space", "X Sig"],
    ["with a colon", "X-Sig:"],
    ["starting with a colon", ":X-Sig"],
    ["non-ASCII", "X-Sïg"],
  ])("a generic HMAC header %s is refused", (_name, header) => {
    expect(signatureProblemsOf({ scheme: "hmac-sha256", secretParameters: ["/s"], header, encoding: "hex" })).toEqual([
      { path: ["g", "signature", "header"], value: header, allowed: "the name of the header carrying the signature" },
    ]);
  });

  test.each([undefined, "HEX", "base64url", "utf8", 16])("a generic HMAC encoding %p is refused", (encoding) => {
    expect(signatureProblemsOf({ scheme: "hmac-sha256", secretParameters: ["/s"], header: "X-Sig", encoding })).toEqual([
      { path: ["g", "signature", "encoding"], value: encoding, allowed: "hex or base64" },
    ]);
  });

  test.each([1, null, ["sha256="]])("a generic HMAC prefix %p is refused", (prefix) => {
    expect(signatureProblemsOf({ scheme: "hmac-sha256", secretParameters: ["/s"], header: "X-Sig", encoding: "hex", prefix })).toEqual([
      { path: ["g", "signature", "prefix"], value: prefix, allowed: "a string, e.g. sha256=" },
    ]);
  });

  test("header, encoding and prefix are the generic scheme's only: other schemes ignore them", () => {
    expect(signatureProblemsOf({ scheme: "github", secretParameters: ["/s"], header: 1, encoding: "x", prefix: 2 })).toEqual([]);
    expect(signatureProblemsOf({ scheme: "stripe", secretParameters: ["/s"], header: 1, encoding: "x", prefix: 2 })).toEqual([]);
  });

  test("every problem of one signature is reported at once", () => {
    expect(signatureProblemsOf({ scheme: "hmac-sha256", secretParameters: [], prefix: 1 }).map((found) => found.path.at(-1))).toEqual([
      "secretParameters",
      "header",
      "encoding",
      "prefix",
    ]);
    expect(signatureProblemsOf({ scheme: "stripe", toleranceSeconds: 0 }).map((found) => found.path.at(-1))).toEqual([
      "secretParameters",
      "toleranceSeconds",
    ]);
  });
});

describe("timeouts", () => {
  test("the default rule: a batch size of 0 counts as 1", () => {
    expect(defaultForwardTimeoutMs(60, 0)).toBe(55_000);
  });

  test("a blank FORWARD_TIMEOUT_MS is unset", () => {
    expect(parseForwardTimeoutMs("   ")).toBeUndefined();
    expect(parseForwardTimeoutMs(" 2500 ")).toBe(2500);
  });

  test("the largest safe whole number is accepted, one more is not", () => {
    expect(parseForwardTimeoutMs(String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => parseForwardTimeoutMs(String(Number.MAX_SAFE_INTEGER + 1))).toThrow("FORWARD_TIMEOUT_MS must be a positive whole number");
  });
});

describe("the retry policy", () => {
  test("the defaults are valid: an hour's budget, 5 s doubling to 5 minutes", () => {
    expect(DEFAULT_RETRY_POLICY).toEqual({ maxAgeSeconds: 3600, initialDelaySeconds: 5, maxDelaySeconds: 300 });
    expect(retryPolicyProblems(DEFAULT_RETRY_POLICY, [])).toEqual([]);
  });

  test.each([
    [{ maxAgeSeconds: 59, initialDelaySeconds: 5, maxDelaySeconds: 30 }, "maxAgeSeconds", "60..172800 seconds"],
    [{ maxAgeSeconds: 172_801, initialDelaySeconds: 5, maxDelaySeconds: 30 }, "maxAgeSeconds", "60..172800 seconds"],
    [{ maxAgeSeconds: 3600, initialDelaySeconds: 0, maxDelaySeconds: 30 }, "initialDelaySeconds", "1..43200 seconds"],
    [{ maxAgeSeconds: 3600, initialDelaySeconds: 1.5, maxDelaySeconds: 30 }, "initialDelaySeconds", "1..43200 seconds"],
    [{ maxAgeSeconds: 86_400, initialDelaySeconds: 5, maxDelaySeconds: 43_201 }, "maxDelaySeconds", "1..43200 seconds"],
    [{ maxAgeSeconds: 3600, initialDelaySeconds: 60, maxDelaySeconds: 30 }, "initialDelaySeconds", "at most maxDelaySeconds (30)"],
    [{ maxAgeSeconds: 600, initialDelaySeconds: 5, maxDelaySeconds: 900 }, "maxDelaySeconds", "at most maxAgeSeconds (600)"],
    [{ ...DEFAULT_RETRY_POLICY, maxAttempts: 3 }, "maxAttempts", "nothing: not a retry setting"],
  ])("%j is refused at %s", (policy, field, allowed) => {
    const problems = retryPolicyProblems(policy, ["retry"]);
    expect(problems).toHaveLength(1);
    expect(problems[0].path).toEqual(["retry", field]);
    expect(problems[0].allowed).toContain(allowed);
  });

  test("RETRY_POLICY: unset means no retries inside the queue; a bad value throws, naming the field", () => {
    expect(parseRetryPolicy(undefined)).toBeUndefined();
    expect(parseRetryPolicy(" ")).toBeUndefined();
    expect(parseRetryPolicy(JSON.stringify(DEFAULT_RETRY_POLICY))).toEqual(DEFAULT_RETRY_POLICY);
    expect(() => parseRetryPolicy("{maxAge")).toThrow(/RETRY_POLICY is not JSON/);
    expect(() => parseRetryPolicy('{"maxAgeSeconds":10,"initialDelaySeconds":5,"maxDelaySeconds":5}')).toThrow(
      /RETRY_POLICY is invalid: maxAgeSeconds 10: allowed 60\.\.172800/,
    );
    expect(() => parseRetryPolicy("[]")).toThrow(/RETRY_POLICY is invalid: \(value\) \[\]/);
  });

  test("the backoff doubles per receive from the first delay and stops at the longest", () => {
    const policy = { maxAgeSeconds: 3600, initialDelaySeconds: 5, maxDelaySeconds: 300 };
    expect([1, 2, 3, 4, 5, 6, 7, 8, 100].map((receive) => backoffSeconds(policy, receive))).toEqual([5, 10, 20, 40, 80, 160, 300, 300, 300]);
    expect(backoffSeconds(policy, 0)).toBe(5);
  });

  test("the backstop maxReceiveCount covers twice the receives the budget takes at the shortest jitter, capped at 1000", () => {
    // Half-backoffs 2.5, 5, 10, 20, 40, 80, then 150 s each: 157.5 s after 7 receives, then 23 more to pass 3600 s.
    expect(receivesWithinBudget(DEFAULT_RETRY_POLICY)).toBe(30);
    expect(backstopReceiveCount(DEFAULT_RETRY_POLICY)).toBe(70);
    expect(backstopReceiveCount({ maxAgeSeconds: 172_800, initialDelaySeconds: 1, maxDelaySeconds: 1 })).toBe(1000);
  });

  test("a redriven copy is known by its deduplication ID, which no route writes", () => {
    expect(isRedrivenCopy("redrive-6f1c2d")).toBe(true);
    expect(isRedrivenCopy("github:redrive-1")).toBe(false);
    expect(isRedrivenCopy("redrive-a:b")).toBe(false);
    expect(isRedrivenCopy("dead-6f1c")).toBe(false);
    expect(isRedrivenCopy(undefined)).toBe(false);
  });
});

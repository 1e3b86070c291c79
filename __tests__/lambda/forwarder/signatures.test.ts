/**
 * The SaaS side signs with its own library (@octokit/webhooks-methods, stripe, standardwebhooks;
 * node:crypto for the generic scheme), never with the module under test, so these tests fail if
 * the forwarder's node:crypto re-implementation drifts from what the providers really send.
 */
import { MAPPED_VALUE_PREFIX, mappedValue } from "../../../lambda/forwarder/contract";
import { createHmac, randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import {
  DEFAULT_TOLERANCE_SECONDS,
  SignatureScheme,
  signatureHeaders,
  SignedRequest,
  signStandardWebhook,
  verifySignature,
} from "../../../lambda/forwarder/signatures";
import { octokit, stripe } from "../../support/saas-signers";

/** When API Gateway received the request: 2024-01-15T12:00:00Z. */
const RECEIVED_AT_MS = Date.UTC(2024, 0, 15, 12, 0, 0);
const RECEIVED_AT_S = RECEIVED_AT_MS / 1000;
const THREE_DAYS_MS = 3 * 24 * 3600 * 1000;

const BODY = '{"action":"opened","number":42}';
const NON_ASCII_BODY = '{"name":"Zoë Ångström","note":"日本語 🚀","price":"5 €"}';

/**
 * The request as the forwarder sees it: the ingress stores each header the scheme names as
 * "v=" + value (a missing one as "v="), and the forwarder strips that again.
 */
function viaIngress(scheme: SignatureScheme, body: string, sent: Record<string, string>, receivedAtMs = RECEIVED_AT_MS): SignedRequest {
  const lowerCased = Object.fromEntries(Object.entries(sent).map(([name, value]) => [name.toLowerCase(), value]));
  const attributes = signatureHeaders(scheme).map((name) => [name, `${MAPPED_VALUE_PREFIX}${lowerCased[name] ?? ""}`] as const);
  return { body, receivedAtMs, headers: Object.fromEntries(attributes.map(([name, value]) => [name, mappedValue(value)])) };
}

const verified = (secretIndex: number) => ({ verified: true, secretIndex });
const refused = (reason: string | RegExp) => ({ verified: false, reason: typeof reason === "string" ? reason : expect.stringMatching(reason) });

describe("mappedValue (contract.ts): a header as the ingress carried it", () => {
  test('strips the ingress\'s "v=" prefix', () => {
    expect(MAPPED_VALUE_PREFIX).toBe("v=");
    expect(mappedValue("v=sha256=abc")).toBe("sha256=abc");
    expect(mappedValue("v=v=x")).toBe("v=x");
  });

  test.each([undefined, "v=", ""])("%p is no header", (value) => {
    expect(mappedValue(value)).toBeUndefined();
  });

  test("a value written without the prefix is kept as it is", () => {
    expect(mappedValue("t=1,v1=ab")).toBe("t=1,v1=ab");
  });
});

describe("signatureHeaders", () => {
  test("names the lower-case headers each scheme reads", () => {
    expect(signatureHeaders({ scheme: "github" })).toEqual(["x-hub-signature-256"]);
    expect(signatureHeaders({ scheme: "stripe" })).toEqual(["stripe-signature"]);
    expect(signatureHeaders({ scheme: "standard-webhooks" })).toEqual([
      "webhook-id",
      "svix-id",
      "webhook-timestamp",
      "svix-timestamp",
      "webhook-signature",
      "svix-signature",
    ]);
    expect(signatureHeaders({ scheme: "hmac-sha256", header: "X-Signature", encoding: "hex" })).toEqual(["x-signature"]);
  });

  test("an unknown scheme (untyped configuration) is an error that names it", () => {
    expect(() => signatureHeaders({ scheme: "sha1" } as any)).toThrow(
      'unknown signature scheme "sha1": expected github, stripe, standard-webhooks or hmac-sha256',
    );
    expect(() => verifySignature({ scheme: "sha1" } as any, viaIngress({ scheme: "github" }, BODY, {}), ["s"])).toThrow("unknown signature scheme");
  });
});

describe.each<[string, SignatureScheme]>([
  ["github", { scheme: "github" }],
  ["stripe", { scheme: "stripe" }],
  ["standard-webhooks", { scheme: "standard-webhooks" }],
  ["hmac-sha256", { scheme: "hmac-sha256", header: "x-signature", encoding: "hex" }],
])("%s without secrets", (_name, scheme) => {
  test.each([[[]], [[""]], [["", ""]]])("%p never verifies", (secrets) => {
    expect(verifySignature(scheme, viaIngress(scheme, BODY, {}), secrets)).toEqual(refused("no secret configured"));
  });
});

describe("github (signed by @octokit/webhooks-methods)", () => {
  const scheme: SignatureScheme = { scheme: "github" };
  const secret = "It's a Secret to Everybody";
  const signed = async (body: string, key = secret, receivedAtMs = RECEIVED_AT_MS) =>
    viaIngress(scheme, body, { "X-Hub-Signature-256": await octokit.sign(key, body) }, receivedAtMs);

  test("a valid signature verifies, as octokit's verify agrees", async () => {
    const request = await signed(BODY);
    expect(verifySignature(scheme, request, [secret])).toEqual(verified(0));
    expect(await octokit.verify(secret, BODY, request.headers["x-hub-signature-256"] ?? "")).toBe(true);
  });

  test("GitHub's documented example (secret, payload, signature)", () => {
    const request = viaIngress(scheme, "Hello, World!", {
      "x-hub-signature-256": "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
    });
    expect(verifySignature(scheme, request, [secret])).toEqual(verified(0));
  });

  test("a tampered body or a wrong secret is a mismatch", async () => {
    const request = await signed(BODY);
    expect(verifySignature(scheme, { ...request, body: BODY.replace("42", "43") }, [secret])).toEqual(refused("signature mismatch"));
    expect(verifySignature(scheme, request, ["another secret"])).toEqual(refused("signature mismatch"));
  });

  test("while rotating, either secret verifies and the match is named", async () => {
    expect(verifySignature(scheme, await signed(BODY, "old"), ["old", "new"])).toEqual(verified(0));
    expect(verifySignature(scheme, await signed(BODY, "new"), ["old", "new"])).toEqual(verified(1));
    expect(verifySignature(scheme, await signed(BODY, "new"), ["", "new"])).toEqual(verified(1));
  });

  test("a missing header", () => {
    expect(verifySignature(scheme, viaIngress(scheme, BODY, { "x-hub-signature": "sha1=abc" }), [secret])).toEqual(
      refused("missing header x-hub-signature-256"),
    );
  });

  test.each(["sha1=757107ea0eb2509fc211221cce984b8a37570b6d", "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", "SHA256=abc"])(
    "a malformed header %p",
    (header) => {
      expect(verifySignature(scheme, viaIngress(scheme, BODY, { "x-hub-signature-256": header }), [secret])).toEqual(
        refused("malformed x-hub-signature-256 header: expected sha256=<hex>"),
      );
    },
  );

  test("upper-case hex does not verify, as with octokit (the header is compared as a string)", async () => {
    const header = `sha256=${(await octokit.sign(secret, BODY)).slice("sha256=".length).toUpperCase()}`;
    expect(await octokit.verify(secret, BODY, header)).toBe(false);
    expect(verifySignature(scheme, viaIngress(scheme, BODY, { "x-hub-signature-256": header }), [secret])).toEqual(refused("signature mismatch"));
  });

  test("no timestamp: the receive time does not matter", async () => {
    expect(verifySignature(scheme, await signed(BODY, secret, 0), [secret])).toEqual(verified(0));
  });

  test("a non-ASCII body is signed over its UTF-8 bytes", async () => {
    expect(verifySignature(scheme, await signed(NON_ASCII_BODY), [secret])).toEqual(verified(0));
  });

  test("a reason never carries the secret or the expected signature", async () => {
    const expected = (await octokit.sign(secret, BODY)).slice("sha256=".length);
    const verification = verifySignature(scheme, viaIngress(scheme, BODY, { "x-hub-signature-256": "sha256=00" }), [secret]);
    expect(verification).toEqual(refused("signature mismatch"));
    expect(JSON.stringify(verification)).not.toContain(expected);
    expect(JSON.stringify(verification)).not.toContain(secret);
  });
});

describe("stripe (signed by stripe's generateTestHeaderString)", () => {
  const scheme: SignatureScheme = { scheme: "stripe" };
  const secret = "whsec_test_Zm9vYmFyYmF6cXV4";
  const header = (payload: string, timestamp = RECEIVED_AT_S, key = secret, signingScheme?: string) =>
    stripe.webhooks.generateTestHeaderString({ payload, secret: key, timestamp, ...(signingScheme && { scheme: signingScheme }) });
  const signed = (body: string, options: { timestamp?: number; key?: string; receivedAtMs?: number } = {}) =>
    viaIngress(scheme, body, { "Stripe-Signature": header(body, options.timestamp, options.key) }, options.receivedAtMs);
  const v1Of = (stripeHeader: string) => stripeHeader.split(",v1=")[1];

  test("a valid signature verifies, as stripe's constructEvent agrees at the receive time", () => {
    const request = signed(BODY);
    expect(verifySignature(scheme, request, [secret])).toEqual(verified(0));
    const event = stripe.webhooks.constructEvent(BODY, request.headers["stripe-signature"] ?? "", secret, undefined, undefined, RECEIVED_AT_MS);
    expect(event).toEqual(JSON.parse(BODY));
  });

  test("the whsec_ secret is the HMAC key as a string (not base64-decoded as Standard Webhooks does)", () => {
    const t = RECEIVED_AT_S;
    const expected = createHmac("sha256", secret).update(`${t}.${BODY}`).digest("hex");
    expect(header(BODY)).toBe(`t=${t},v1=${expected}`);
  });

  test("a tampered body or a wrong secret is a mismatch", () => {
    expect(verifySignature(scheme, { ...signed(BODY), body: `${BODY} ` }, [secret])).toEqual(refused("signature mismatch"));
    expect(verifySignature(scheme, signed(BODY), ["whsec_other"])).toEqual(refused("signature mismatch"));
  });

  test("a tampered timestamp is a mismatch (it is signed)", () => {
    const tampered = header(BODY).replace(`t=${RECEIVED_AT_S}`, `t=${RECEIVED_AT_S + 1}`);
    expect(verifySignature(scheme, viaIngress(scheme, BODY, { "stripe-signature": tampered }), [secret])).toEqual(refused("signature mismatch"));
  });

  test("while rotating, either secret verifies and the match is named", () => {
    expect(verifySignature(scheme, signed(BODY, { key: "whsec_old" }), ["whsec_old", "whsec_new"])).toEqual(verified(0));
    expect(verifySignature(scheme, signed(BODY, { key: "whsec_new" }), ["whsec_old", "whsec_new"])).toEqual(verified(1));
  });

  test("any of several v1 signatures may match (Stripe sends one per active secret while rolling); v0 is ignored", () => {
    const valid = v1Of(header(BODY));
    const v0 = v1Of(header(BODY, RECEIVED_AT_S, "whsec_v0"));
    const several = `t=${RECEIVED_AT_S},v1=${"0".repeat(64)},v1=${valid},v0=${v0}`;
    expect(verifySignature(scheme, viaIngress(scheme, BODY, { "stripe-signature": several }), [secret])).toEqual(verified(0));
    // A v0 signature made with the configured secret does not count.
    const onlyV0Valid = `t=${RECEIVED_AT_S},v1=${"0".repeat(64)},v0=${valid}`;
    expect(verifySignature(scheme, viaIngress(scheme, BODY, { "stripe-signature": onlyV0Valid }), [secret])).toEqual(refused("signature mismatch"));
  });

  test("a missing header", () => {
    expect(verifySignature(scheme, viaIngress(scheme, BODY, {}), [secret])).toEqual(refused("missing header stripe-signature"));
  });

  test.each([
    ["no t", () => `v1=${v1Of(header(BODY))}`, "malformed stripe-signature header: no t=<unix seconds>"],
    ["a t that is not a number", () => `t=soon,v1=${v1Of(header(BODY))}`, "malformed stripe-signature header: no t=<unix seconds>"],
    ["no v1 (only v0)", () => header(BODY, RECEIVED_AT_S, secret, "v0"), "malformed stripe-signature header: no v1 signature"],
    ["an empty v1 (stripe's own secureCompare throws on it)", () => `t=${RECEIVED_AT_S},v1=`, "malformed stripe-signature header: no v1 signature"],
    ["no structure at all", () => "garbage", "malformed stripe-signature header: no t=<unix seconds>"],
  ])("a malformed header: %s", (_what, value, reason) => {
    expect(verifySignature(scheme, viaIngress(scheme, BODY, { "stripe-signature": value() }), [secret])).toEqual(refused(reason));
  });

  test("the timestamp is checked against the receive time: too old, too new, the boundary", () => {
    const at = (offsetSeconds: number) => verifySignature(scheme, signed(BODY, { timestamp: RECEIVED_AT_S + offsetSeconds }), [secret]);
    expect(at(-DEFAULT_TOLERANCE_SECONDS)).toEqual(verified(0));
    expect(at(DEFAULT_TOLERANCE_SECONDS)).toEqual(verified(0));
    expect(at(-612)).toEqual(refused(`timestamp ${RECEIVED_AT_S - 612} is 612 s from the receive time (tolerance 300 s)`));
    expect(at(-301)).toEqual(refused(`timestamp ${RECEIVED_AT_S - 301} is 301 s from the receive time (tolerance 300 s)`));
    // Stripe's library refuses only old timestamps; a signature from the future is refused here too.
    expect(at(301)).toEqual(refused(`timestamp ${RECEIVED_AT_S + 301} is 301 s from the receive time (tolerance 300 s)`));
  });

  test("a configured tolerance replaces the default", () => {
    const request = signed(BODY, { timestamp: RECEIVED_AT_S - 301 });
    expect(verifySignature({ scheme: "stripe", toleranceSeconds: 600 }, request, [secret])).toEqual(verified(0));
    expect(verifySignature({ scheme: "stripe", toleranceSeconds: 60 }, signed(BODY, { timestamp: RECEIVED_AT_S - 61 }), [secret])).toEqual(
      refused(/is 61 s from the receive time \(tolerance 60 s\)$/),
    );
  });

  test("without a usable receive time an authentic signature cannot be placed in time", () => {
    expect(verifySignature(scheme, signed(BODY, { receivedAtMs: Number.NaN }), [secret])).toEqual(
      refused("no receive time to check the timestamp against"),
    );
  });

  test("a forged signature with a stale timestamp is a mismatch, not a timestamp problem", () => {
    expect(verifySignature(scheme, signed(BODY, { timestamp: RECEIVED_AT_S - 10_000, key: "whsec_forger" }), [secret])).toEqual(
      refused("signature mismatch"),
    );
  });

  describe("checked days after it was received (redriven from the DLQ)", () => {
    beforeEach(() => jest.useFakeTimers({ now: RECEIVED_AT_MS + THREE_DAYS_MS }));
    afterEach(() => jest.useRealTimers());

    test("verifies, because the receive time is the reference, where stripe's constructEvent against now refuses it", () => {
      const request = signed(BODY);
      expect(verifySignature(scheme, request, [secret])).toEqual(verified(0));
      expect(() => stripe.webhooks.constructEvent(BODY, request.headers["stripe-signature"] ?? "", secret)).toThrow(
        "Timestamp outside the tolerance zone",
      );
    });
  });

  test("a non-ASCII body is signed over its UTF-8 bytes", () => {
    expect(verifySignature(scheme, signed(NON_ASCII_BODY), [secret])).toEqual(verified(0));
  });

  test("a leading zero in t is read as stripe reads it (parseInt)", () => {
    const request = viaIngress(scheme, BODY, { "stripe-signature": header(BODY).replace("t=", "t=0") });
    expect(verifySignature(scheme, request, [secret])).toEqual(verified(0));
  });
});

describe("standard-webhooks (signed by the standardwebhooks package)", () => {
  const scheme: SignatureScheme = { scheme: "standard-webhooks" };
  const secret = `whsec_${Buffer.from("a 24-byte webhook secret").toString("base64")}`;
  const msgId = "msg_2b0mBvyvHhZmE0P1A8GQkaT3vCi";
  const signature = (body: string, options: { id?: string; timestamp?: number; key?: string } = {}) =>
    new Webhook(options.key ?? secret).sign(options.id ?? msgId, new Date((options.timestamp ?? RECEIVED_AT_S) * 1000), body);
  const headers = (body: string, options: { id?: string; timestamp?: number; key?: string } = {}) => ({
    "webhook-id": options.id ?? msgId,
    "webhook-timestamp": String(options.timestamp ?? RECEIVED_AT_S),
    "webhook-signature": signature(body, options),
  });
  const signed = (body: string, options: { id?: string; timestamp?: number; key?: string; receivedAtMs?: number } = {}) =>
    viaIngress(scheme, body, headers(body, options), options.receivedAtMs);

  test("a valid signature verifies", () => {
    expect(verifySignature(scheme, signed(BODY), [secret])).toEqual(verified(0));
  });

  test("the specification's example (whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw)", () => {
    const example = {
      "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
      "webhook-timestamp": "1614265330",
      "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    };
    const request = viaIngress(scheme, '{"test": 2432232314}', example, 1614265330_000);
    expect(verifySignature(scheme, request, ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])).toEqual(verified(0));
  });

  test("Svix's header names (svix-id, svix-timestamp, svix-signature) verify too", () => {
    const { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": sig } = headers(BODY);
    const request = viaIngress(scheme, BODY, { "svix-id": id, "svix-timestamp": timestamp, "svix-signature": sig });
    expect(verifySignature(scheme, request, [secret])).toEqual(verified(0));
  });

  test("a tampered body, id or timestamp, or a wrong secret, is a mismatch", () => {
    const other = `whsec_${Buffer.from("another secret").toString("base64")}`;
    expect(verifySignature(scheme, { ...signed(BODY), body: BODY.replace("opened", "closed") }, [secret])).toEqual(refused("signature mismatch"));
    expect(verifySignature(scheme, viaIngress(scheme, BODY, { ...headers(BODY), "webhook-id": "msg_other" }), [secret])).toEqual(
      refused("signature mismatch"),
    );
    expect(verifySignature(scheme, viaIngress(scheme, BODY, { ...headers(BODY), "webhook-timestamp": String(RECEIVED_AT_S - 1) }), [secret])).toEqual(
      refused("signature mismatch"),
    );
    expect(verifySignature(scheme, signed(BODY), [other])).toEqual(refused("signature mismatch"));
  });

  test("while rotating, either secret verifies and the match is named", () => {
    const [old, fresh] = [`whsec_${randomBytes(24).toString("base64")}`, `whsec_${randomBytes(32).toString("base64")}`];
    expect(verifySignature(scheme, signed(BODY, { key: old }), [old, fresh])).toEqual(verified(0));
    expect(verifySignature(scheme, signed(BODY, { key: fresh }), [old, fresh])).toEqual(verified(1));
  });

  test("several space-separated signatures: any v1 may match, other versions are ignored", () => {
    const valid = signature(BODY);
    const wrong = signature(BODY, { key: `whsec_${Buffer.from("nope").toString("base64")}` });
    const value = `v1a,${valid.slice(3)} v2,${valid.slice(3)} ${wrong} ${valid}`;
    expect(verifySignature(scheme, viaIngress(scheme, BODY, { ...headers(BODY), "webhook-signature": value }), [secret])).toEqual(verified(0));
    const onlyOthers = `v2,${valid.slice(3)} v1a,${valid.slice(3)}`;
    expect(verifySignature(scheme, viaIngress(scheme, BODY, { ...headers(BODY), "webhook-signature": onlyOthers }), [secret])).toEqual(
      refused("malformed webhook-signature header: no v1,<base64> signature"),
    );
  });

  test.each([
    ["webhook-id", "missing header webhook-id (or svix-id)"],
    ["webhook-timestamp", "missing header webhook-timestamp (or svix-timestamp)"],
    ["webhook-signature", "missing header webhook-signature (or svix-signature)"],
  ] as const)("a missing %s", (name, reason) => {
    const { [name]: _dropped, ...rest } = headers(BODY);
    expect(verifySignature(scheme, viaIngress(scheme, BODY, rest), [secret])).toEqual(refused(reason));
  });

  test.each([
    ["webhook-timestamp", "soon", "malformed webhook-timestamp header: expected unix seconds"],
    ["webhook-timestamp", `${RECEIVED_AT_S}.5`, "malformed webhook-timestamp header: expected unix seconds"],
    ["webhook-timestamp", `-${RECEIVED_AT_S}`, "malformed webhook-timestamp header: expected unix seconds"],
    ["webhook-signature", "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "malformed webhook-signature header: no v1,<base64> signature"],
    ["webhook-signature", "v1,", "malformed webhook-signature header: no v1,<base64> signature"],
  ] as const)("a malformed %s %p", (name, value, reason) => {
    expect(verifySignature(scheme, viaIngress(scheme, BODY, { ...headers(BODY), [name]: value }), [secret])).toEqual(refused(reason));
  });

  test("a malformed Svix header is named as such", () => {
    const { "webhook-id": id, "webhook-signature": sig } = headers(BODY);
    const request = viaIngress(scheme, BODY, { "svix-id": id, "svix-timestamp": "soon", "svix-signature": sig });
    expect(verifySignature(scheme, request, [secret])).toEqual(refused("malformed svix-timestamp header: expected unix seconds"));
  });

  test("the timestamp is checked against the receive time: too old, too new, the boundary", () => {
    const at = (offsetSeconds: number) => verifySignature(scheme, signed(BODY, { timestamp: RECEIVED_AT_S + offsetSeconds }), [secret]);
    expect(at(-DEFAULT_TOLERANCE_SECONDS)).toEqual(verified(0));
    expect(at(DEFAULT_TOLERANCE_SECONDS)).toEqual(verified(0));
    expect(at(-301)).toEqual(refused(`timestamp ${RECEIVED_AT_S - 301} is 301 s from the receive time (tolerance 300 s)`));
    expect(at(3600)).toEqual(refused(`timestamp ${RECEIVED_AT_S + 3600} is 3600 s from the receive time (tolerance 300 s)`));
    // The receive time counts in whole seconds, as the package counts "now".
    expect(verifySignature(scheme, signed(BODY, { timestamp: RECEIVED_AT_S - 300, receivedAtMs: RECEIVED_AT_MS + 999 }), [secret])).toEqual(
      verified(0),
    );
  });

  test("a configured tolerance replaces the default", () => {
    const custom: SignatureScheme = { scheme: "standard-webhooks", toleranceSeconds: 30 };
    expect(verifySignature(custom, signed(BODY, { timestamp: RECEIVED_AT_S + 30 }), [secret])).toEqual(verified(0));
    expect(verifySignature(custom, signed(BODY, { timestamp: RECEIVED_AT_S + 31 }), [secret])).toEqual(
      refused(/31 s from the receive time \(tolerance 30 s\)$/),
    );
  });

  describe("checked days after it was received (redriven from the DLQ)", () => {
    beforeEach(() => jest.useFakeTimers({ now: RECEIVED_AT_MS + THREE_DAYS_MS }));
    afterEach(() => jest.useRealTimers());

    test("verifies, because the receive time is the reference, where the package's verify against now refuses it", () => {
      const request = signed(BODY);
      expect(verifySignature(scheme, request, [secret])).toEqual(verified(0));
      expect(() => new Webhook(secret).verify(BODY, headers(BODY))).toThrow("Message timestamp too old");
    });
  });

  test("a non-ASCII body (and id) is signed over its UTF-8 bytes", () => {
    expect(verifySignature(scheme, signed(NON_ASCII_BODY, { id: "msg_ünïcode" }), [secret])).toEqual(verified(0));
  });

  test("a leading zero in the timestamp is read as the package reads it (parseInt)", () => {
    const request = viaIngress(scheme, BODY, { ...headers(BODY), "webhook-timestamp": `0${RECEIVED_AT_S}` });
    expect(verifySignature(scheme, request, [secret])).toEqual(verified(0));
  });

  /**
   * The package drops "whsec_" and base64-decodes the rest with @stablelib/base64, which is
   * stricter than Node's decoder; a secret without the prefix is decoded whole. A secret its
   * constructor refuses cannot verify anything here either, and says so without throwing.
   */
  describe.each([
    ["whsec_ + base64", `whsec_${Buffer.from("twenty-four byte secret!").toString("base64")}`],
    ["base64 without the prefix", Buffer.from("twenty-four byte secret!").toString("base64")],
    ["unpadded base64", "whsec_YWJjZGVmZw"],
    ["a length that leaves stray bits (4n+1 characters)", "whsec_YWJjZ"],
    ["a plain word that happens to be base64", "supersecret1"],
    ["too short (under 4 characters)", "whsec_YWI"],
    ["URL-safe base64", "whsec_-_-_YWJj"],
    ["whitespace", "whsec_YWJj ZGVm"],
    ["three padding characters", "whsec_YWJj==="],
    ["padding in the middle", "whsec_YW==Jj"],
    ["nothing after the prefix", "whsec_"],
    ["a Stripe-style secret (underscores)", "whsec_test_Zm9vYmFyYmF6cXV4"],
  ])("a secret that is %s, exactly as the package takes it", (_what, candidate) => {
    let packageAccepts: boolean;
    try {
      new Webhook(candidate);
      packageAccepts = true;
    } catch {
      packageAccepts = false;
    }

    test(packageAccepts ? "verifies what the package signs with it" : "is unusable, as the package refuses it", () => {
      if (packageAccepts) {
        expect(verifySignature(scheme, signed(BODY, { key: candidate }), [candidate])).toEqual(verified(0));
        expect(verifySignature(scheme, signed(BODY, { key: candidate }), [secret])).toEqual(refused("signature mismatch"));
      } else {
        expect(verifySignature(scheme, signed(BODY), [candidate])).toEqual(refused("no usable secret: secret 0 is not whsec_<base64>"));
        expect(verifySignature(scheme, signed(BODY), [candidate, secret])).toEqual(verified(1));
        expect(verifySignature(scheme, signed(BODY, { key: `whsec_${Buffer.from("other").toString("base64")}` }), [candidate, secret])).toEqual(
          refused("signature mismatch (secret 0 is not whsec_<base64>)"),
        );
        expect(() => signStandardWebhook(candidate, msgId, BODY, RECEIVED_AT_MS)).toThrow(
          "the signing secret is not a Standard Webhooks secret: expected whsec_ followed by base64 (of at least one byte)",
        );
      }
    });
  });

  test("the package's own view of the table above: which secrets it refuses", () => {
    const refusedByPackage = [
      "whsec_YWI",
      "whsec_-_-_YWJj",
      "whsec_YWJj ZGVm",
      "whsec_YWJj===",
      "whsec_YW==Jj",
      "whsec_",
      "whsec_test_Zm9vYmFyYmF6cXV4",
    ];
    for (const candidate of refusedByPackage) expect(() => new Webhook(candidate)).toThrow();
    for (const candidate of ["whsec_YWJjZGVmZw", "whsec_YWJjZ", "supersecret1"]) expect(() => new Webhook(candidate)).not.toThrow();
  });
});

describe.each<[string, Extract<SignatureScheme, { scheme: "hmac-sha256" }>]>([
  ["hex", { scheme: "hmac-sha256", header: "X-Signature", encoding: "hex" }],
  ["hex with a prefix", { scheme: "hmac-sha256", header: "X-Signature-256", encoding: "hex", prefix: "sha256=" }],
  ["base64", { scheme: "hmac-sha256", header: "X-Shopify-Hmac-Sha256", encoding: "base64" }],
  ["base64 with a prefix", { scheme: "hmac-sha256", header: "Webhook-Signature", encoding: "base64", prefix: "v1=" }],
])("generic hmac-sha256, %s (signed with node:crypto)", (_name, scheme) => {
  const secret = "generic-secret";
  const header = scheme.header.toLowerCase();
  const prefix = scheme.prefix ?? "";
  const sign = (body: string, key = secret) => `${prefix}${createHmac("sha256", key).update(body, "utf8").digest(scheme.encoding)}`;
  const signed = (body: string, key = secret) => viaIngress(scheme, body, { [scheme.header]: sign(body, key) });

  test("a valid signature verifies", () => {
    expect(verifySignature(scheme, signed(BODY), [secret])).toEqual(verified(0));
  });

  test("a tampered body or a wrong secret is a mismatch", () => {
    expect(verifySignature(scheme, { ...signed(BODY), body: "{}" }, [secret])).toEqual(refused("signature mismatch"));
    expect(verifySignature(scheme, signed(BODY), ["other"])).toEqual(refused("signature mismatch"));
  });

  test("while rotating, either secret verifies and the match is named", () => {
    expect(verifySignature(scheme, signed(BODY, "old"), ["old", "new"])).toEqual(verified(0));
    expect(verifySignature(scheme, signed(BODY, "new"), ["old", "new"])).toEqual(verified(1));
  });

  test("a missing header", () => {
    expect(verifySignature(scheme, viaIngress(scheme, BODY, {}), [secret])).toEqual(refused(`missing header ${header}`));
  });

  test("a signature that is not the configured encoding is a mismatch", () => {
    const other = `${prefix}${createHmac("sha256", secret)
      .update(BODY)
      .digest(scheme.encoding === "hex" ? "base64" : "hex")}`;
    expect(verifySignature(scheme, viaIngress(scheme, BODY, { [header]: other }), [secret])).toEqual(refused("signature mismatch"));
  });

  test("a non-ASCII body is signed over its UTF-8 bytes", () => {
    expect(verifySignature(scheme, signed(NON_ASCII_BODY), [secret])).toEqual(verified(0));
    const latin1 = `${prefix}${createHmac("sha256", secret).update(Buffer.from(NON_ASCII_BODY, "latin1")).digest(scheme.encoding)}`;
    expect(verifySignature(scheme, viaIngress(scheme, NON_ASCII_BODY, { [header]: latin1 }), [secret])).toEqual(refused("signature mismatch"));
  });

  if (prefix !== "") {
    test("a header without the prefix is malformed", () => {
      const bare = sign(BODY).slice(prefix.length);
      expect(verifySignature(scheme, viaIngress(scheme, BODY, { [header]: bare }), [secret])).toEqual(
        refused(`malformed ${header} header: expected it to start with "${prefix}"`),
      );
    });
  }

  if (scheme.encoding === "hex") {
    test("upper-case hex verifies (the same bytes)", () => {
      const upper = `${prefix}${sign(BODY).slice(prefix.length).toUpperCase()}`;
      expect(verifySignature(scheme, viaIngress(scheme, BODY, { [header]: upper }), [secret])).toEqual(verified(0));
    });
  } else {
    test("base64 without its padding does not verify (compared exactly)", () => {
      const unpadded = sign(BODY).replace(/=+$/, "");
      expect(verifySignature(scheme, viaIngress(scheme, BODY, { [header]: unpadded }), [secret])).toEqual(refused("signature mismatch"));
    });
  }
});

describe("constant-time comparison", () => {
  const crypto = require("node:crypto") as typeof import("node:crypto");
  afterEach(() => jest.restoreAllMocks());

  const cases: [string, SignatureScheme, Record<string, string>][] = [
    ["github", { scheme: "github" }, { "x-hub-signature-256": "sha256=abc" }],
    ["stripe", { scheme: "stripe" }, { "stripe-signature": `t=${RECEIVED_AT_S},v1=abc,v1=${"a".repeat(200)}` }],
    [
      "standard-webhooks",
      { scheme: "standard-webhooks" },
      { "webhook-id": "msg_1", "webhook-timestamp": String(RECEIVED_AT_S), "webhook-signature": "v1,abc v1,ü" },
    ],
    ["hmac-sha256", { scheme: "hmac-sha256", header: "x-signature", encoding: "hex" }, { "x-signature": "ab" }],
  ];

  test.each(cases)("%s: a signature of another length is a mismatch, never an exception", (_name, scheme, sent) => {
    const secrets = [`whsec_${Buffer.from("key").toString("base64")}`];
    expect(() => verifySignature(scheme, viaIngress(scheme, BODY, sent), secrets)).not.toThrow();
    expect(verifySignature(scheme, viaIngress(scheme, BODY, sent), secrets)).toEqual(refused("signature mismatch"));
  });

  test("signatures of the right length are compared with timingSafeEqual, every one of them", async () => {
    const timingSafeEqual = jest.spyOn(crypto, "timingSafeEqual");
    const key = "whsec_test";
    const valid = stripe.webhooks.generateTestHeaderString({ payload: BODY, secret: key, timestamp: RECEIVED_AT_S }).split(",v1=")[1];
    const value = `t=${RECEIVED_AT_S},v1=${valid},v1=${"0".repeat(64)}`;
    expect(verifySignature({ scheme: "stripe" }, viaIngress({ scheme: "stripe" }, BODY, { "stripe-signature": value }), [key])).toEqual(verified(0));
    expect(timingSafeEqual).toHaveBeenCalledTimes(2);
    for (const [a, b] of timingSafeEqual.mock.calls) expect((a as Buffer).length).toBe((b as Buffer).length);

    timingSafeEqual.mockClear();
    const github = viaIngress({ scheme: "github" }, BODY, { "x-hub-signature-256": await octokit.sign("s", BODY) });
    expect(verifySignature({ scheme: "github" }, github, ["wrong", "s"])).toEqual(verified(1));
    expect(timingSafeEqual).toHaveBeenCalledTimes(2);
  });
});

describe("signStandardWebhook (the forwarder signing its request to the application)", () => {
  const secret = `whsec_${Buffer.from("the application's secret").toString("base64")}`;
  const webhookId = "evt_01HQZ8Y3";

  test("gives the three headers, the timestamp in unix seconds of now", () => {
    const headers = signStandardWebhook(secret, webhookId, BODY, RECEIVED_AT_MS + 999);
    expect(Object.keys(headers).sort()).toEqual(["webhook-id", "webhook-signature", "webhook-timestamp"]);
    expect(headers["webhook-id"]).toBe(webhookId);
    expect(headers["webhook-timestamp"]).toBe(String(RECEIVED_AT_S));
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(headers["webhook-signature"]).toBe(new Webhook(secret).sign(webhookId, new Date(RECEIVED_AT_MS), BODY));
  });

  test("the application verifies it with the standardwebhooks package", () => {
    const headers = signStandardWebhook(secret, webhookId, BODY, Date.now());
    expect(new Webhook(secret).verify(BODY, headers)).toEqual(JSON.parse(BODY));
  });

  test("a non-ASCII body verifies with the package too, and with verifySignature", () => {
    const headers = signStandardWebhook(secret, webhookId, NON_ASCII_BODY, Date.now());
    expect(new Webhook(secret).verify(NON_ASCII_BODY, headers)).toEqual(JSON.parse(NON_ASCII_BODY));
    const request = viaIngress({ scheme: "standard-webhooks" }, NON_ASCII_BODY, headers, Date.now());
    expect(verifySignature({ scheme: "standard-webhooks" }, request, [secret])).toEqual(verified(0));
  });

  test("the package refuses it with another secret or another body", () => {
    const headers = signStandardWebhook(secret, webhookId, BODY, Date.now());
    expect(() => new Webhook(`whsec_${Buffer.from("other").toString("base64")}`).verify(BODY, headers)).toThrow("No matching signature found");
    expect(() => new Webhook(secret).verify(`${BODY} `, headers)).toThrow("No matching signature found");
  });

  test("a secret without the prefix signs as the package signs with it", () => {
    const bare = Buffer.from("the application's secret").toString("base64");
    expect(signStandardWebhook(bare, webhookId, BODY, RECEIVED_AT_MS)).toEqual(signStandardWebhook(secret, webhookId, BODY, RECEIVED_AT_MS));
  });

  test("a secret that is not a Standard Webhooks secret is an error that does not show it", () => {
    const wrong = "whsec_not base64!";
    expect(() => signStandardWebhook(wrong, webhookId, BODY, RECEIVED_AT_MS)).toThrow(/^the signing secret is not a Standard Webhooks secret/);
    try {
      signStandardWebhook(wrong, webhookId, BODY, RECEIVED_AT_MS);
    } catch (error) {
      expect((error as Error).message).not.toContain("not base64!");
    }
  });
});

describe("edges of the secrets and the headers", () => {
  const github: SignatureScheme = { scheme: "github" };
  const standard: SignatureScheme = { scheme: "standard-webhooks" };
  const stripeScheme: SignatureScheme = { scheme: "stripe" };
  const standardSecret = `whsec_${Buffer.from("a 24-byte webhook secret").toString("base64")}`;
  const standardHeaders = (key: string) => ({
    "webhook-id": "msg_1",
    "webhook-timestamp": String(RECEIVED_AT_S),
    "webhook-signature": new Webhook(key).sign("msg_1", new Date(RECEIVED_AT_MS), BODY),
  });

  test("an empty secret never verifies, not even a signature made with an empty key (which octokit refuses to make)", () => {
    const request = viaIngress(github, BODY, { "x-hub-signature-256": `sha256=${createHmac("sha256", "").update(BODY).digest("hex")}` });
    expect(verifySignature(github, request, ["", "configured"])).toEqual(refused("signature mismatch"));
  });

  test("an empty secret among Standard Webhooks secrets is skipped, not counted as unusable", () => {
    const other = `whsec_${Buffer.from("another 24-byte secret!!").toString("base64")}`;
    expect(verifySignature(standard, viaIngress(standard, BODY, standardHeaders(other)), ["", standardSecret])).toEqual(
      refused("signature mismatch"),
    );
    expect(verifySignature(standard, viaIngress(standard, BODY, standardHeaders(other)), ["", "whsec_!"])).toEqual(
      refused("no usable secret: secret 1 is not whsec_<base64>"),
    );
  });

  test("several unusable secrets are all named", () => {
    const request = viaIngress(standard, BODY, standardHeaders(standardSecret));
    expect(verifySignature(standard, request, ["whsec_!", "whsec_?"])).toEqual(refused("no usable secret: secrets 0, 1 are not whsec_<base64>"));
    expect(verifySignature(standard, request, ["whsec_!", `whsec_${Buffer.from("x").toString("base64")}=`, "whsec_?"])).toEqual(
      refused("no usable secret: secrets 0, 1, 2 are not whsec_<base64>"),
    );
  });

  test("a header given as an empty string is missing (Standard Webhooks then reads the Svix name)", () => {
    const request = { body: BODY, receivedAtMs: RECEIVED_AT_MS };
    expect(verifySignature(github, { ...request, headers: { "x-hub-signature-256": "" } }, ["s"])).toEqual(
      refused("missing header x-hub-signature-256"),
    );
    expect(verifySignature(stripeScheme, { ...request, headers: { "stripe-signature": "" } }, ["s"])).toEqual(
      refused("missing header stripe-signature"),
    );
    expect(
      verifySignature(standard, { ...request, headers: { ...standardHeaders(standardSecret), "webhook-id": "", "svix-id": "msg_1" } }, [
        standardSecret,
      ]),
    ).toEqual(verified(0));
  });

  test("a scheme without a timestamp verifies whatever the receive time, even none", async () => {
    const request = viaIngress(github, BODY, { "x-hub-signature-256": await octokit.sign("s", BODY) }, Number.NaN);
    expect(verifySignature(github, request, ["s"])).toEqual(verified(0));
  });

  test.each([
    ["a v1 without a value", `t=${RECEIVED_AT_S},v1`, "malformed stripe-signature header: no v1 signature"],
    ["a t without a value", "t,v1=abc", "malformed stripe-signature header: no t=<unix seconds>"],
    ["a t with a letter before the digits", `t=x${RECEIVED_AT_S},v1=abc`, "malformed stripe-signature header: no t=<unix seconds>"],
    ["a t with a letter after the digits", `t=${RECEIVED_AT_S}x,v1=abc`, "malformed stripe-signature header: no t=<unix seconds>"],
  ])("a stripe header with %s is malformed", (_name, header, reason) => {
    expect(verifySignature(stripeScheme, viaIngress(stripeScheme, BODY, { "stripe-signature": header }), ["whsec_x"])).toEqual(refused(reason));
  });
});

/** Secrets from SSM Parameter Store (here an SSM endpoint on 127.0.0.1) through Powertools Parameters. */
import { SECRET_CACHE_SECONDS, SecretUnavailableError, secretValue, secretValues } from "../../../lambda/forwarder/secrets";
import { setForwarderEnv } from "../../support/bundled-lambda";
import { type LocalAws, startLocalAws } from "../../support/local-aws";

let aws: LocalAws;
let restoreEnv: () => void;

beforeAll(async () => {
  aws = await startLocalAws();
  restoreEnv = setForwarderEnv(aws.env);
});
afterAll(async () => {
  restoreEnv();
  await aws.close();
});

/** Parameter names of their own per test: values are cached for five minutes. */
let test_ = 0;
function parameters(values: Record<string, string>): string[] {
  test_++;
  return Object.entries(values).map(([name, value]) => {
    const full = `/webhooks/t${test_}/${name}`;
    aws.parameters.set(full, value);
    return full;
  });
}
const requestsFor = (names: string[]) => aws.parameterRequests.filter((request) => names.includes(request.Name));

test("reads each parameter decrypted (all at once); the values come in the order of the names", async () => {
  const names = parameters({ old: "whsec_old", new: "whsec_new" });

  await expect(secretValues(names)).resolves.toEqual(["whsec_old", "whsec_new"]);
  await expect(secretValues([...names].reverse())).resolves.toEqual(["whsec_new", "whsec_old"]);
  expect(requestsFor(names)).toHaveLength(2);
  expect(requestsFor(names)).toEqual(
    expect.arrayContaining([
      { Name: names[0], WithDecryption: true },
      { Name: names[1], WithDecryption: true },
    ]),
  );
});

test("values are cached for five minutes: one request per parameter", async () => {
  const names = parameters({ secret: "s3cret" });

  await secretValues(names);
  await secretValues(names);
  await secretValue(names[0]);

  expect(SECRET_CACHE_SECONDS).toBe(300);
  expect(requestsFor(names)).toHaveLength(1);
});

test("while a secret rotates one parameter may be gone: the others are still read", async () => {
  const [present] = parameters({ present: "new-secret" });
  const gone = `/webhooks/t${test_}/gone`;

  await expect(secretValues([gone, present])).resolves.toEqual(["new-secret"]);
});

test("an empty value is no secret", async () => {
  const names = parameters({ empty: "", set: "s" });

  await expect(secretValues(names)).resolves.toEqual(["s"]);
});

test("none readable: SecretUnavailableError naming each parameter and why", async () => {
  const [empty] = parameters({ empty: "" });
  const gone = `/webhooks/t${test_}/gone`;

  const error = await secretValues([gone, empty]).catch((caught: unknown) => caught);

  expect(error).toBeInstanceOf(SecretUnavailableError);
  expect(error).toMatchObject({
    name: "SecretUnavailableError",
    message: `no secret readable (${gone}: parameter ${gone} not found; ${empty}: empty)`,
  });
});

test("no parameter at all is no secret either", async () => {
  await expect(secretValues([])).rejects.toThrow(new SecretUnavailableError("no secret readable ()"));
});

test("secretValue: the value of one parameter", async () => {
  const [name] = parameters({ signing: "whsec_signing" });

  await expect(secretValue(name)).resolves.toBe("whsec_signing");
  await expect(secretValue(`${name}-missing`)).rejects.toThrow(SecretUnavailableError);
});

/** Which Terraform and aws provider versions each stack admits, read from the synthesized JSON. */
import { Testing } from "cdktf";
import { emulator, mzDev } from "../../src/infrastructure/environments";
import { AWS_PROVIDER_LINES, compareVersions, maxMessageSizeOf } from "../../src/infrastructure/provider-lines";
import { WebhookQueueStack } from "../../src/infrastructure/webhook-queue-stack";
import { testApp } from "../support/synth";
import { admits } from "../support/terraform-constraints";

const synthesized = (stack: WebhookQueueStack) => JSON.parse(Testing.synth(stack));
const mzDevJson = synthesized(new WebhookQueueStack(testApp(), mzDev));
const emulatorJson = synthesized(new WebhookQueueStack(testApp(), emulator({})));

describe("mz-dev: the line that wrote the article's users' state (aws 6.12.0, Terraform 1.13.4)", () => {
  const aws = mzDevJson.terraform.required_providers.aws.version as string;

  test.each(["6.12.0", "6.12.1", "6.25.0", "6.99.99"])("admits aws %s", (version) => {
    expect(admits(aws, version)).toBe(true);
  });

  test.each(["5.100.0", "6.0.0", "6.11.0", "6.11.9", "7.0.0", "7.1.0"])(
    "refuses aws %s: a 6.x state is never downgraded, 7.x is another major",
    (version) => {
      expect(admits(aws, version)).toBe(false);
    },
  );

  test.each(["1.10.0", "1.11.4", "1.13.4", "1.14.0"])("Terraform %s may plan it", (version) => {
    expect(admits(mzDevJson.terraform.required_version, version)).toBe(true);
  });

  test.each(["1.5.7", "1.9.8", "2.0.0"])("Terraform %s stops with its own error (no use_lockfile before 1.10)", (version) => {
    expect(admits(mzDevJson.terraform.required_version, version)).toBe(false);
  });

  test("both queues take webhooks up to 1 MiB", () => {
    expect(mzDevJson.resource.aws_sqs_queue.webhook_queue.max_message_size).toBe(1_048_576);
    expect(mzDevJson.resource.aws_sqs_queue.webhook_dlq.max_message_size).toBe(1_048_576);
  });
});

describe("emulator: the provider this machine holds", () => {
  test("admits aws 5.100.0 and nothing else, and the same Terraform as mz-dev", () => {
    const aws = emulatorJson.terraform.required_providers.aws.version as string;
    expect(admits(aws, "5.100.0")).toBe(true);
    expect(["5.99.0", "5.100.1", "6.12.0"].filter((version) => admits(aws, version))).toEqual([]);
    expect(emulatorJson.terraform.required_version).toBe(mzDevJson.terraform.required_version);
  });

  test("both queues keep what 5.100.0 accepts: 256 KiB", () => {
    expect(emulatorJson.resource.aws_sqs_queue.webhook_queue.max_message_size).toBe(262_144);
    expect(emulatorJson.resource.aws_sqs_queue.webhook_dlq.max_message_size).toBe(262_144);
  });
});

describe("provider lines", () => {
  test("each line's oldest version is the oldest its constraint admits", () => {
    for (const line of Object.values(AWS_PROVIDER_LINES)) {
      expect(admits(line.constraint, line.oldest)).toBe(true);
      const [major, minor, patch] = line.oldest.split(".").map(Number);
      const older = patch > 0 ? `${major}.${minor}.${patch - 1}` : minor > 0 ? `${major}.${minor - 1}.99` : `${major - 1}.99.99`;
      expect(admits(line.constraint, older)).toBe(false);
    }
  });

  test("1 MiB messages only where every admitted version accepts them (hashicorp/aws >= 6.8.0)", () => {
    expect(maxMessageSizeOf(AWS_PROVIDER_LINES["6.x"])).toBe(1_048_576);
    expect(maxMessageSizeOf(AWS_PROVIDER_LINES["5.100"])).toBe(262_144);
    expect(maxMessageSizeOf({ ...AWS_PROVIDER_LINES["6.x"], oldest: "6.7.9" })).toBe(262_144);
    expect(maxMessageSizeOf({ ...AWS_PROVIDER_LINES["6.x"], oldest: "6.8.0" })).toBe(1_048_576);
  });

  test.each([
    ["6.12.0", "6.8.0", 1],
    ["6.8.0", "6.8.0", 0],
    ["5.100.0", "6.8.0", -1],
    ["6.10.0", "6.9.0", 1],
    ["6.8", "6.8.0", 0],
  ])("compareVersions(%s, %s) = %d", (a, b, expected) => {
    expect(compareVersions(a, b)).toBe(expected);
  });
});

describe("the constraint reader the tests use", () => {
  test.each([
    ["~> 1.10", "1.13.4", true],
    ["~> 1.10", "2.0.0", false],
    ["~> 6.12.0", "6.12.9", true],
    ["~> 6.12.0", "6.13.0", false],
    ["!= 6.20.0, >= 6.12.0", "6.20.0", false],
    ["> 6.12.0", "6.12.0", false],
    ["<= 6.12.0", "6.12.0", true],
    ["6.12", "6.12.0", true],
  ])("%s admits %s: %s", (constraint, version, expected) => {
    expect(admits(constraint, version)).toBe(expected);
  });
});

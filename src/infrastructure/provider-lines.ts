/**
 * Which Terraform and hashicorp/aws versions a stack admits, in one place. The bindings
 * (`@cdktf/provider-aws` 21.10.0) are generated from aws 6.12.0; each stack's JSON carries its
 * line's constraint, and a setting that only newer providers accept is refused for a line whose
 * oldest admitted version would reject it (a settings error before synth, not a plan failure).
 */

/** A range of hashicorp/aws versions a stack may be planned with. */
export interface AwsProviderLine {
  /** `terraform.required_providers.aws.version` of the stack. */
  readonly constraint: string;
  /** The oldest version the constraint admits: what every setting must be valid for. */
  readonly oldest: string;
  /** What verifies plans on this line (docs/terraform.md has the whole matrix). */
  readonly verifiedBy: string;
}

export const AWS_PROVIDER_LINES = {
  /**
   * The article's users: their state was written by 6.12.0. Never older (a state written by 6.x under
   * Terraform >= 1.12 holds resource identities 5.x cannot decode), never 7.x (breaking by definition).
   */
  "6.x": {
    constraint: ">= 6.12.0, < 7.0.0",
    oldest: "6.12.0",
    verifiedBy: "the 21.10.0 bindings' types (npm run typecheck); no 6.x provider runs on the build machine",
  },
  /** The emulator's: the one provider build the offline build machine holds, which its tests run. */
  "5.100": {
    constraint: "5.100.0",
    oldest: "5.100.0",
    verifiedBy: "terraform 1.11.4 with aws 5.100.0 against moto_server (the e2e tests)",
  },
} as const satisfies Record<string, AwsProviderLine>;

export type AwsProviderLineName = keyof typeof AWS_PROVIDER_LINES;
export const AWS_PROVIDER_LINE_NAMES = Object.keys(AWS_PROVIDER_LINES) as AwsProviderLineName[];

/**
 * `terraform.required_version` of every stack: S3-native state locking (`use_lockfile`) needs 1.10,
 * `removed` blocks 1.7, `moved` blocks 1.1. An older Terraform stops with its own error.
 */
export const TERRAFORM_REQUIRED_VERSION = ">= 1.10.0, < 2.0.0";

/** SQS message sizes: the 256 KiB every provider accepts, and the 1 MiB SQS allows since August 2025. */
export const SQS_MESSAGE_SIZE = { classic: 262_144, large: 1_048_576 } as const;

/** The first hashicorp/aws version that accepts `max_message_size` above 256 KiB. */
const LARGE_MESSAGES_SINCE = "6.8.0";

/** The largest `max_message_size` every version of the line accepts. */
export function maxMessageSizeOf(line: AwsProviderLine): number {
  return compareVersions(line.oldest, LARGE_MESSAGES_SINCE) >= 0 ? SQS_MESSAGE_SIZE.large : SQS_MESSAGE_SIZE.classic;
}

/** -1, 0 or 1 as `a` is older than, equal to or newer than `b` (dotted whole numbers). */
export function compareVersions(a: string, b: string): number {
  const left = a.split(".").map(Number);
  const right = b.split(".").map(Number);
  for (let index = 0; index < Math.max(left.length, right.length); index++) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

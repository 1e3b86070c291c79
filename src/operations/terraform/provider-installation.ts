/**
 * Where terraform gets its providers when the project runs it. As its users run it: from
 * the Terraform Registry, with their own CLI configuration, unless a filesystem mirror is
 * there (air-gapped machines, like the one this project is built on):
 *
 * - `WEBHOOK_QUEUE_PROVIDER_MIRROR=<dir>` asks for a mirror: providers come from it only,
 *   never a download, and a mirror without the AWS provider is an error;
 *   `WEBHOOK_QUEUE_PROVIDER_MIRROR=registry` asks for the registry, mirror or not;
 * - otherwise a mirror found in the usual plugin folders serves the providers it holds, and
 *   the registry the rest;
 * - otherwise nothing is changed: terraform's own configuration, the registry by default.
 *
 * Every terraform and cdktf call the project makes gets its environment from `terraformEnv()`.
 */
import { existsSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { AWS_PROVIDER_LINES } from "../../infrastructure/provider-lines";
import { writeFileAtomically } from "../../files";
import { BUILD_DIR } from "../../project";
import { run } from "../shared/run";

/** The provider every stack needs; which versions each admits, its provider line says (src/infrastructure/provider-lines.ts). */
export const AWS_PROVIDER_SOURCE = "registry.terraform.io/hashicorp/aws";

/** Set this to ask for a filesystem mirror (a `terraform providers mirror` folder or an unpacked plugin dir), or to `registry`. */
export const MIRROR_ENV = "WEBHOOK_QUEUE_PROVIDER_MIRROR";
/** The value of MIRROR_ENV that asks for the registry even where a mirror would be found. */
export const REGISTRY = "registry";

export const CANDIDATE_MIRRORS: readonly string[] = [
  "/opt/tf-plugins",
  join(homedir(), ".terraform.d", "plugins"),
  join(homedir(), ".local", "share", "terraform", "plugins"),
  "/usr/local/share/terraform/plugins",
  "/usr/share/terraform/plugins",
];

/** How terraform installs providers for the project. */
export type ProviderInstallation =
  /** Terraform's own configuration: the registry unless the user configured otherwise. */
  | { readonly kind: "registry" }
  /** A filesystem mirror; `asked`: named by WEBHOOK_QUEUE_PROVIDER_MIRROR (mirror only), else found (the registry for the rest). */
  | { readonly kind: "mirror"; readonly path: string; readonly asked: boolean; readonly providers: readonly string[] };

/** Terraform's name for this machine's platform, e.g. `linux_amd64`. */
export function terraformPlatform(platform: string = process.platform, arch: string = process.arch): string {
  const os = platform === "win32" ? "windows" : platform;
  const cpu = ({ x64: "amd64", ia32: "386" } as Record<string, string>)[arch] ?? arch;
  return `${os}_${cpu}`;
}

/**
 * The providers (`host/namespace/type`) a mirror folder holds a build of for `platform`, in
 * either layout: unpacked (`<host>/<ns>/<type>/<version>/<os_arch>/`) or packed
 * (`<host>/<ns>/<type>/terraform-provider-<type>_<version>_<os_arch>.zip`).
 */
export function mirroredProviders(dir: string, platform: string = terraformPlatform()): string[] {
  const list = (path: string) => (existsSync(path) ? readdirSync(path, { withFileTypes: true }) : []);
  const found: string[] = [];
  for (const host of list(dir).filter((entry) => entry.isDirectory())) {
    for (const namespace of list(join(dir, host.name)).filter((entry) => entry.isDirectory())) {
      for (const type of list(join(dir, host.name, namespace.name)).filter((entry) => entry.isDirectory())) {
        const typeDir = join(dir, host.name, namespace.name, type.name);
        const holds = list(typeDir).some((entry) =>
          entry.isDirectory() ? existsSync(join(typeDir, entry.name, platform)) : entry.name.endsWith(`_${platform}.zip`),
        );
        if (holds) found.push(`${host.name}/${namespace.name}/${type.name}`);
      }
    }
  }
  return found.sort();
}

/** The versions of hashicorp/aws `dir` holds a build of for `platform`, in either layout, oldest first. */
export function mirroredAwsVersions(dir: string, platform: string = terraformPlatform()): string[] {
  const providerDir = join(dir, AWS_PROVIDER_SOURCE);
  if (!existsSync(providerDir)) return [];
  const versions = readdirSync(providerDir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return existsSync(join(providerDir, entry.name, platform)) ? [entry.name] : [];
    const packed = new RegExp(`^terraform-provider-aws_(.+)_${platform}\\.zip$`).exec(entry.name);
    return packed ? [packed[1]] : [];
  });
  return [...new Set(versions)].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
}

/** Whether `dir` holds a build of hashicorp/aws for `platform` (whether a stack admits its version, `terraform init` says). */
export function holdsAwsProvider(dir: string, platform: string = terraformPlatform()): boolean {
  return mirroredAwsVersions(dir, platform).length > 0;
}

/** Chooses as the module's comment says; a mirror asked for that lacks the AWS provider is an error saying both ways out. */
export function chooseProviderInstallation(
  env: NodeJS.ProcessEnv = process.env,
  candidates: readonly string[] = CANDIDATE_MIRRORS,
): ProviderInstallation {
  const platform = terraformPlatform();
  const asked = env[MIRROR_ENV];
  if (asked === REGISTRY) return { kind: "registry" };
  if (asked) {
    const path = resolve(asked);
    if (!holdsAwsProvider(path, platform)) {
      throw new Error(
        `${MIRROR_ENV}=${asked} does not hold ${AWS_PROVIDER_SOURCE} for ${platform}: expected ` +
          `${AWS_PROVIDER_SOURCE}/<version>/${platform}/ (unpacked) or ${AWS_PROVIDER_SOURCE}/terraform-provider-aws_<version>_${platform}.zip (packed) under it, ` +
          `with the versions the stacks admit (${stackLines()}). ` +
          `Either fill it (\`terraform providers mirror -platform=${platform} ${asked}\` on a machine with registry access), ` +
          `or unset ${MIRROR_ENV} to install providers from the Terraform Registry.`,
      );
    }
    return { kind: "mirror", path, asked: true, providers: mirroredProviders(path, platform) };
  }
  const found = candidates.find((dir) => holdsAwsProvider(dir, platform));
  return found ? { kind: "mirror", path: found, asked: false, providers: mirroredProviders(found, platform) } : { kind: "registry" };
}

/** The CLI configuration for a mirror: only the mirror when asked for, else the mirror for what it holds and the registry for the rest. */
export function cliConfigText(installation: Extract<ProviderInstallation, { kind: "mirror" }>): string {
  const quoted = (providers: readonly string[]) => `[${providers.map((provider) => JSON.stringify(provider)).join(", ")}]`;
  const lines = [
    "# Written by src/operations/terraform/provider-installation.ts; do not edit (set WEBHOOK_QUEUE_PROVIDER_MIRROR instead).",
    "provider_installation {",
    "  filesystem_mirror {",
    `    path    = ${JSON.stringify(installation.path)}`,
    `    include = ${installation.asked ? '["registry.terraform.io/*/*"]' : quoted(installation.providers)}`,
    "  }",
  ];
  // Asked for a mirror: no `direct {}` block, so a provider missing from it is an error, never a download.
  if (!installation.asked) lines.push("  direct {", `    exclude = ${quoted(installation.providers)}`, "  }");
  lines.push("}", "disable_checkpoint = true", "");
  return lines.join("\n");
}

/** Writes `.build/terraform.tfrc` for a mirror (atomically: parallel tests may write it too) and returns its path. */
export function writeCliConfig(installation: Extract<ProviderInstallation, { kind: "mirror" }>, buildDir = BUILD_DIR): string {
  const file = join(buildDir, "terraform.tfrc");
  writeFileAtomically(file, cliConfigText(installation));
  return file;
}

/** How providers are installed, in one line, for logs and the prerequisites report. */
export function describeInstallation(installation: ProviderInstallation): string {
  if (installation.kind === "registry") return "the Terraform Registry (terraform's own CLI configuration)";
  const held = installation.providers.join(", ") || "nothing";
  return installation.asked
    ? `filesystem mirror ${installation.path} (${MIRROR_ENV}; only: ${held})`
    : `filesystem mirror ${installation.path} (found; ${held}), the Terraform Registry for the rest`;
}

/** Environment for a terraform (or cdktf CLI) child process. */
export function terraformEnv(env: NodeJS.ProcessEnv = process.env, installation = chooseProviderInstallation(env)): NodeJS.ProcessEnv {
  return {
    ...env,
    ...(installation.kind === "mirror" && {
      TF_CLI_CONFIG_FILE: writeCliConfig(installation),
      // cdktf would otherwise set TF_PLUGIN_CACHE_DIR and copy the 700 MB provider into
      // ~/.terraform.d/plugin-cache; without it terraform links the mirror's unpacked build.
      CDKTF_DISABLE_PLUGIN_CACHE_ENV: "true",
    }),
    TF_IN_AUTOMATION: "1",
    CHECKPOINT_DISABLE: "1",
  };
}

/** The cdktf commands that lock providers first (`terraform providers lock` for every platform, from the registry). */
const CDKTF_LOCKING_COMMANDS = new Set(["diff", "plan", "deploy", "apply", "destroy"]);
const SKIP_PROVIDER_LOCK = "--skip-provider-lock";

/**
 * A cdktf command line as it must run under `installation`: with a mirror, a locking command gets
 * `--skip-provider-lock` (cdktf's lock step asks the registry for every platform's checksums,
 * which a mirror cannot answer; `terraform init` still writes the lock file for this platform).
 * `note`: why it was added, for stderr; undefined when the command is unchanged.
 */
export function cdktfCommandLine(args: readonly string[], installation: ProviderInstallation): { args: string[]; note?: string } {
  const subcommand = args.find((arg) => !arg.startsWith("-"));
  if (installation.kind !== "mirror" || !subcommand || !CDKTF_LOCKING_COMMANDS.has(subcommand) || args.includes(SKIP_PROVIDER_LOCK)) {
    return { args: [...args] };
  }
  return {
    args: [...args, SKIP_PROVIDER_LOCK],
    note: `cdktf ${subcommand}: ${SKIP_PROVIDER_LOCK} added: providers come from the filesystem mirror ${installation.path}, which cannot answer cdktf's lock step (every platform's checksums, from the registry)`,
  };
}

/** Each provider line's constraint, for messages: `6.x: >= 6.12.0, < 7.0.0; 5.100: 5.100.0`. */
function stackLines(): string {
  return Object.entries(AWS_PROVIDER_LINES)
    .map(([name, line]) => `${name}: ${line.constraint}`)
    .join("; ");
}

/** When terraform could not install a provider: both ways to give it one. */
export function providerHint(output: string): string {
  const unmatched = /provider ([\w./-]+): no available releases match the given constraints ([^\n]+)/.exec(output.replace(/\s+/g, " "));
  if (unmatched) {
    return (
      `\n\nhint: terraform found ${unmatched[1]}, but no version the stack admits (${unmatched[2].trim()}); ` +
      `the stack's awsProvider line decides it (src/infrastructure/provider-lines.ts: ${stackLines()}). ` +
      `Give this machine access to registry.terraform.io, or put an admitted version in the mirror (${MIRROR_ENV}). docs/terraform.md, "Versions".`
    );
  }
  const missing = /provider ([\w.-]+\/[\w-]+\/[\w-]+)|Failed to query available provider packages|Failed to install provider/.exec(output);
  if (!missing) return "";
  const which = missing[1] ?? "a provider";
  return (
    `\n\nhint: terraform could not install ${which}. Either give this machine access to registry.terraform.io ` +
    `(and leave ${MIRROR_ENV} unset), or put the provider in a filesystem mirror (\`terraform providers mirror <dir>\` on a machine with access) ` +
    `and set ${MIRROR_ENV}=<dir>. docs/terraform.md, "Provider installation".`
  );
}

/**
 * `node --import tsx src/operations/terraform/provider-installation.ts` says how providers are
 * installed and, for a mirror, prints the configuration's path (for
 * `export TF_CLI_CONFIG_FILE=$(...)`); with a command after it (`... provider-installation.ts
 * cdktf synth`) it runs that command with terraformEnv().
 */
if (require.main === module) {
  const command = process.argv.slice(2);
  try {
    const installation = chooseProviderInstallation();
    const env = terraformEnv(process.env, installation);
    if (command.length === 0) {
      process.stderr.write(`providers: ${describeInstallation(installation)}\n`);
      if (env.TF_CLI_CONFIG_FILE && env.TF_CLI_CONFIG_FILE !== process.env.TF_CLI_CONFIG_FILE) process.stdout.write(`${env.TF_CLI_CONFIG_FILE}\n`);
    } else {
      const cdktfLine = command[0] === "cdktf" ? cdktfCommandLine(command.slice(1), installation) : undefined;
      if (cdktfLine?.note) process.stderr.write(`${cdktfLine.note}\n`);
      run(command[0], cdktfLine?.args ?? command.slice(1), { env, inherit: true }).then(
        (result) => (process.exitCode = result.code),
        (error: Error & { result?: { code: number } }) => {
          process.exitCode = error.result?.code ?? 1;
          if (!error.result) process.stderr.write(`${command[0]}: ${error.message}\n`);
        },
      );
    }
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}

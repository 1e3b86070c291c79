/**
 * What the end-to-end tests (and a plan of the emulator stack) need on this machine:
 * terraform, the provider mirror, moto_server and the project's cdktf CLI. Reported
 * found or missing, so that a run without them says so instead of passing quietly.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { motoServerAvailable } from "../../src/operations/emulator/moto-server";
import { chooseProviderInstallation, describeInstallation } from "../../src/operations/terraform/provider-installation";
import { terraformVersion } from "../../src/operations/terraform/terraform";
import { PROJECT_ROOT } from "../../src/project";

export interface Prerequisite {
  readonly name: string;
  readonly found: boolean;
  /** Version or location when found; what to do when missing. */
  readonly detail: string;
}

export function findPrerequisites(): Prerequisite[] {
  const version = terraformVersion();
  let providers: Prerequisite;
  try {
    providers = { name: "providers", found: true, detail: describeInstallation(chooseProviderInstallation()) };
  } catch (error) {
    providers = { name: "providers", found: false, detail: (error as Error).message };
  }
  const cdktfPackage = join(PROJECT_ROOT, "node_modules", "cdktf-cli", "package.json");
  const moto = motoServerAvailable();
  return [
    {
      name: "terraform",
      found: version !== undefined,
      detail: version ?? "not on the PATH: install Terraform >= 1.10 (tested with 1.11.4; https://developer.hashicorp.com/terraform/install)",
    },
    providers,
    { name: "moto_server", found: moto, detail: moto ? "on the PATH" : "not on the PATH: pip install 'moto[server]==5.2.1'" },
    {
      name: "cdktf CLI",
      found: existsSync(cdktfPackage),
      detail: existsSync(cdktfPackage)
        ? `cdktf-cli ${(JSON.parse(readFileSync(cdktfPackage, "utf8")) as { version: string }).version}`
        : "not installed: npm ci",
    },
  ];
}

export function formatPrerequisites(prerequisites: readonly Prerequisite[]): string {
  const width = Math.max(...prerequisites.map((p) => p.name.length));
  return prerequisites.map((p) => `  ${p.found ? "found  " : "MISSING"}  ${p.name.padEnd(width)}  ${p.detail}`).join("\n");
}

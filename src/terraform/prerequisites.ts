/**
 * What the end-to-end tests (and a plan of the emulator stack) need on this machine:
 * terraform, the provider mirror, moto_server and the project's cdktf CLI. Reported
 * found or missing, so that a run without them says so instead of passing quietly.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { motoServerAvailable } from "../emulator/moto-server";
import { describeMirror, findProviderMirror } from "./cli-config";
import { terraformVersion } from "./commands";

const PROJECT_ROOT = resolve(__dirname, "..", "..");

export interface Prerequisite {
  readonly name: string;
  readonly found: boolean;
  /** Version or location when found; what to do when missing. */
  readonly detail: string;
}

export function findPrerequisites(): Prerequisite[] {
  const version = terraformVersion();
  let mirror: Prerequisite;
  try {
    mirror = { name: "provider mirror", found: true, detail: describeMirror(findProviderMirror()) };
  } catch (error) {
    mirror = { name: "provider mirror", found: false, detail: (error as Error).message };
  }
  const cdktfPackage = join(PROJECT_ROOT, "node_modules", "cdktf-cli", "package.json");
  const moto = motoServerAvailable();
  return [
    { name: "terraform", found: version !== undefined, detail: version ?? "not on the PATH: install Terraform >= 1.10 (tested with 1.11.4)" },
    mirror,
    { name: "moto_server", found: moto, detail: moto ? "on the PATH" : "not on the PATH: pip install 'moto[server]==5.2.1'" },
    {
      name: "cdktf CLI",
      found: existsSync(cdktfPackage),
      detail: existsSync(cdktfPackage) ? `cdktf-cli ${(JSON.parse(readFileSync(cdktfPackage, "utf8")) as { version: string }).version}` : "not installed: npm ci",
    },
  ];
}

export function formatPrerequisites(prerequisites: readonly Prerequisite[]): string {
  const width = Math.max(...prerequisites.map((p) => p.name.length));
  return prerequisites.map((p) => `  ${p.found ? "found  " : "MISSING"}  ${p.name.padEnd(width)}  ${p.detail}`).join("\n");
}

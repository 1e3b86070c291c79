/**
 * What `cdktf synth` writes for a stack, made fit for Terraform in both of its formats: JSON
 * (`cdk.tf.json`, the default) and HCL (`cdk.tf`, `--hcl`), for reviewers who read HCL.
 */
import { IStackSynthesizer, ISynthesisSession, TerraformStack } from "cdktf";
import { existsSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** The two files a stack's folder may hold; Terraform reads both, so a folder must hold one. */
export const STACK_FILES = ["cdk.tf.json", "cdk.tf"] as const;

/**
 * cdktf's synthesizer, after removing the other format's file from the stack's folder: a
 * `cdk.tf` left by an earlier `--hcl` synth beside a fresh `cdk.tf.json` declares everything
 * twice, and every later plan fails on "Duplicate ..." errors.
 */
export class SingleFormatSynthesizer implements IStackSynthesizer {
  constructor(
    private readonly stack: TerraformStack,
    private readonly inner: IStackSynthesizer,
  ) {}

  synthesize(session: ISynthesisSession): void {
    const written = join(session.outdir, session.manifest.forStack(this.stack).synthesizedStackPath);
    for (const file of STACK_FILES) {
      const path = join(dirname(written), file);
      if (file !== basename(written) && existsSync(path)) rmSync(path);
    }
    this.inner.synthesize(session);
  }
}

/**
 * cdktf 0.21 writes `depends_on` entries as quoted strings in HCL, which Terraform reads with
 * a "Quoted references are deprecated" warning: they become the bare references Terraform expects.
 */
export function unquoteDependsOn(hcl: string): string {
  return hcl.replace(/^(\s*depends_on\s*=\s*\[)([^\]]*)\]/gm, (_whole, opening: string, entries: string) => {
    const references = entries.replace(/"((?:data\.)?[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)"/g, "$1");
    return `${opening}${references}]`;
  });
}

/**
 * cdktf 0.21 renders the `terraform` block's plain attributes (`required_version`) as their
 * index in a list of names (`0 = "required_version"`), which Terraform rejects: each becomes
 * `name = value` again, from the values the stack set.
 */
export function renderTerraformAttributes(hcl: string, attributes: Readonly<Record<string, string>>): string {
  return hcl.replace(/^(\s*)\d+ = "([a-z_]+)"$/gm, (whole, indent: string, name: string) =>
    Object.hasOwn(attributes, name) ? `${indent}${name} = ${JSON.stringify(attributes[name])}` : whole,
  );
}

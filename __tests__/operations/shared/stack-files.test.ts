/** A stack's folder as the tools read it: one Terraform file, JSON for the tools. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MixedStackFilesError, readSynthesizedStack, stackFileOf } from "../../../src/operations/shared/stack-files";

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "stack-files-"))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test("the one file of a folder, whichever format; none when empty", () => {
  expect(stackFileOf(dir)).toBeUndefined();
  writeFileSync(join(dir, "cdk.tf"), "");
  expect(stackFileOf(dir)).toBe(join(dir, "cdk.tf"));
  rmSync(join(dir, "cdk.tf"));
  writeFileSync(join(dir, "cdk.tf.json"), "{}");
  expect(stackFileOf(dir)).toBe(join(dir, "cdk.tf.json"));
});

test("both at once is refused: Terraform would declare everything twice", () => {
  writeFileSync(join(dir, "cdk.tf.json"), "{}");
  writeFileSync(join(dir, "cdk.tf"), "");
  expect(() => stackFileOf(dir)).toThrow(MixedStackFilesError);
  expect(() => stackFileOf(dir)).toThrow(/holds both cdk\.tf\.json and cdk\.tf .*declare every resource twice/);
});

test("the tools read the JSON; an HCL-only folder says how to get it", () => {
  writeFileSync(join(dir, "cdk.tf"), "");
  expect(() => readSynthesizedStack(dir)).toThrow(/only its HCL form cdk\.tf \(cdktf synth --hcl\), which the tools do not read: run npm run synth/);
  rmSync(join(dir, "cdk.tf"));
  expect(() => readSynthesizedStack(dir)).toThrow(/does not exist: synthesize the stack first/);
  writeFileSync(join(dir, "cdk.tf.json"), '{"resource": {}}');
  expect(readSynthesizedStack(dir)).toEqual({ resource: {} });
});

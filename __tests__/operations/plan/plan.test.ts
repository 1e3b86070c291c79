/** planStack's checks of the stack folder, before any terraform runs. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { planStack } from "../../../src/operations/plan/plan";
import { ToolError } from "../../../src/operations/shared/command-line";

let outputDir: string;
beforeEach(() => {
  outputDir = mkdtempSync(join(tmpdir(), "plan-folder-"));
  mkdirSync(join(outputDir, "stacks", "emulator"), { recursive: true });
});
afterEach(() => rmSync(outputDir, { recursive: true, force: true }));

const plan = () => planStack({ stack: "emulator", outputDir, skipSynth: true, log: () => {} });

test("a folder with both cdk.tf.json and cdk.tf is refused in one line that says why and what to do", async () => {
  writeFileSync(join(outputDir, "stacks", "emulator", "cdk.tf.json"), "{}");
  writeFileSync(join(outputDir, "stacks", "emulator", "cdk.tf"), "");
  const error = await plan().catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(ToolError);
  const message = (error as ToolError).message;
  expect(message.split("\n")).toHaveLength(1);
  expect(message).toContain("holds both cdk.tf.json and cdk.tf");
  expect(message).toContain("declare every resource twice");
  expect(message).toContain("npm run synth");
});

test("a folder with neither names the stacks there are", async () => {
  mkdirSync(join(outputDir, "stacks", "mz-dev"));
  await expect(plan()).rejects.toThrow(`No stack "emulator" in ${outputDir} (stacks: emulator, mz-dev).`);
});

/**
 * Packaging "zip" (the emulator stack): the forwarder's zip is written at synth time, the
 * same bytes on every synth, and `source_code_hash` is its base64 SHA-256, so terraform
 * needs no archive provider and a plan shows no code change unless the code changed.
 * Two real `cdktf synth` runs, in separate processes (the bundle is memoized per process).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cdktf } from "../../../src/operations/terraform/terraform";

interface SynthesizedStack {
  data?: Record<string, Record<string, Record<string, unknown>>>;
  resource: Record<string, Record<string, Record<string, unknown>>>;
}

let scratch: string;
const synths: { dir: string; stack: SynthesizedStack; zip: Buffer }[] = [];

function readStack(outDir: string, name: string): SynthesizedStack {
  return JSON.parse(readFileSync(join(outDir, "stacks", name, "cdk.tf.json"), "utf8")) as SynthesizedStack;
}

function forwarder(stack: SynthesizedStack): Record<string, unknown> {
  return stack.resource.aws_lambda_function.webhook_event_producer;
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "zip-packaging-"));
  for (const name of ["first", "second"]) {
    const dir = join(scratch, name);
    // One after the other: both synths write the bundle into the same .build/forwarder.
    await cdktf(["synth", "--output", dir]);
    const stack = readStack(dir, "emulator");
    synths.push({ dir, stack, zip: readFileSync(join(dir, "stacks", "emulator", String(forwarder(stack).filename))) });
  }
}, 120_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

test("two synths write byte-identical zips under the same asset path", () => {
  const [first, second] = synths;
  expect(forwarder(first.stack).filename).toBe(forwarder(second.stack).filename);
  expect(first.zip.equals(second.zip)).toBe(true);
});

test("source_code_hash is the base64 SHA-256 of the zip, in both synths", () => {
  for (const { stack, zip } of synths) {
    expect(forwarder(stack).source_code_hash).toBe(createHash("sha256").update(zip).digest("base64"));
  }
});

test("the zip holds index.js only, readable by a zip tool, with a fixed date and mode", () => {
  const zipFile = join(synths[0].dir, "stacks", "emulator", String(forwarder(synths[0].stack).filename));
  const haveUnzip = spawnSync("unzip", ["-v"], { stdio: "ignore" }).status === 0;
  const listing = haveUnzip
    ? execFileSync("zipinfo", [zipFile], { encoding: "utf8" })
    : execFileSync("python3", ["-m", "zipfile", "-l", zipFile], { encoding: "utf8" });
  console.log(`${haveUnzip ? "zipinfo" : "python3 -m zipfile -l"} ${zipFile}\n${listing}`);
  if (haveUnzip) {
    expect(listing).toMatch(/^-rw-r--r-- .* defN 80-Jan-01 00:00 index\.js$/m);
    expect(listing).toMatch(/^1 file, /m);
    execFileSync("unzip", ["-tq", zipFile]);
    const code = execFileSync("unzip", ["-p", zipFile, "index.js"]);
    expect(code.toString()).toMatch(/handler/);
  } else {
    expect(
      listing
        .trim()
        .split("\n")
        .slice(1)
        .map((line) => line.split(/\s+/)[0]),
    ).toEqual(["index.js"]);
  }
});

test("the handler points into the zip, and the emulator stack needs no archive provider", () => {
  const { stack } = synths[0];
  expect(forwarder(stack).handler).toBe("index.handler");
  expect(stack.data?.archive_file).toBeUndefined();
  expect(JSON.stringify(stack)).not.toContain("hashicorp/archive");
});

test("mz-dev keeps the article's data.archive_file packaging (the default)", () => {
  const mzDev = readStack(synths[0].dir, "mz-dev");
  expect(mzDev.data?.archive_file?.webhook_event_producer).toMatchObject({ type: "zip" });
  expect(forwarder(mzDev)).toMatchObject({
    filename: "${data.archive_file.webhook_event_producer.output_path}",
    source_code_hash: "${data.archive_file.webhook_event_producer.output_base64sha256}",
  });
});

import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { PROJECT_ROOT } from "../src/project";

const run = promisify(execFile);

/** `cdktf synth` exactly as ops run it, into a folder of the test's own. */
async function cdktfSynth(outdir: string, env: NodeJS.ProcessEnv = {}) {
  return run("npx", ["cdktf", "synth", "--output", outdir], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, CHECKPOINT_DISABLE: "1", CI: "1", ...env },
    maxBuffer: 16 * 1024 * 1024,
  });
}

function filesUnder(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (current: string) => {
    for (const name of readdirSync(current)) {
      const path = join(current, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(dir, path), readFileSync(path));
    }
  };
  walk(dir);
  return files;
}

describe("cdktf synth (main.ts)", () => {
  const work = mkdtempSync(join(tmpdir(), "synth-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test("two synths of unchanged code give byte-identical JSON, bundle and zip", async () => {
    await cdktfSynth(join(work, "a"));
    await cdktfSynth(join(work, "b"));
    const first = filesUnder(join(work, "a"));
    const second = filesUnder(join(work, "b"));
    const names = [...first.keys()].sort();
    expect(names).toEqual([...second.keys()].sort());
    expect(names).toEqual(
      expect.arrayContaining([
        "stacks/mz-dev/cdk.tf.json",
        "stacks/emulator/cdk.tf.json",
        expect.stringMatching(/^stacks\/mz-dev\/assets\/.+\/index\.js$/),
        expect.stringMatching(/^stacks\/emulator\/assets\/.+\.zip$/),
      ]),
    );
    for (const name of names) expect({ name, same: first.get(name)!.equals(second.get(name)!) }).toEqual({ name, same: true });
  }, 120_000);

  test("invalid settings stop synth with the setting, its value and what is allowed", async () => {
    const failure = await cdktfSynth(join(work, "bad"), { WEBHOOK_QUEUE_EMULATOR_ENDPOINT: "not a url" }).then(
      () => undefined,
      (error: { stdout: string; stderr: string }) => error,
    );
    expect(failure).toBeDefined();
    expect(`${failure!.stdout}\n${failure!.stderr}`).toContain('Invalid settings for stack "emulator"');
    expect(`${failure!.stdout}\n${failure!.stderr}`).toContain('emulator.endpoint = "not a url": an http(s) URL such as http://127.0.0.1:5000');
  }, 60_000);
});

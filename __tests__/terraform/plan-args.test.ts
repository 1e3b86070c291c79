/** `npm run plan -- ...` argument parsing; the runs themselves are in __tests__/e2e. */
import { EXIT_USAGE, main, parsePlanArgs } from "../../src/terraform/plan";

test("a stack, repeated var files, flags, and terraform arguments after --", () => {
  expect(parsePlanArgs(["emulator", "--var-file", "a.tfvars", "--var-file=b.tfvars", "--allow-replace", "--json", "--output", "/tmp/out", "--skip-synth", "--", "-target=x", "-refresh=false"])).toEqual({
    stack: "emulator",
    varFiles: ["a.tfvars", "b.tfvars"],
    allowReplace: true,
    json: true,
    skipSynth: true,
    outputDir: "/tmp/out",
    terraformArgs: ["-target=x", "-refresh=false"],
  });
  expect(parsePlanArgs(["mz-dev"])).toEqual({ stack: "mz-dev", varFiles: [], allowReplace: false, json: false, skipSynth: false, outputDir: undefined, terraformArgs: [] });
});

test.each([
  [[], /Name exactly one stack \(got none\)/],
  [["a", "b"], /Name exactly one stack \(got a, b\)/],
  [["emulator", "--var-file"], /--var-file needs a value/],
  [["emulator", "--force"], /Unknown option --force/],
])("%j is a usage error that shows the usage", (argv, message) => {
  expect(() => parsePlanArgs(argv)).toThrow(message);
  expect(() => parsePlanArgs(argv)).toThrow(/Usage: npm run plan -- <stack>/);
});

test("a usage error exits with 2 before anything runs", async () => {
  const write = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
  try {
    await expect(main(["--nope"])).resolves.toBe(EXIT_USAGE);
    expect(String(write.mock.calls[0][0])).toMatch(/Unknown option --nope/);
  } finally {
    write.mockRestore();
  }
});

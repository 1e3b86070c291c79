/** `npm run plan -- ...` argument parsing; the runs themselves are in the e2e tests. */
import { main, parsePlanArgs } from "../../../src/operations/plan/plan";
import { UsageError } from "../../../src/operations/shared/command-line";
import { EXIT_OK, EXIT_USAGE } from "../../../src/operations/shared/exit-codes";

test("a stack, repeated var files, flags, and terraform arguments after --", () => {
  expect(
    parsePlanArgs([
      "emulator",
      "--var-file",
      "a.tfvars",
      "--var-file=b.tfvars",
      "--allow-replace",
      "--allow-risk",
      "--json",
      "--output",
      "/tmp/out",
      "--skip-synth",
      "--",
      "-target=x",
      "-refresh=false",
    ]),
  ).toEqual({
    stack: "emulator",
    varFiles: ["a.tfvars", "b.tfvars"],
    allowReplace: true,
    allowRisk: true,
    json: true,
    skipSynth: true,
    outputDir: "/tmp/out",
    terraformArgs: ["-target=x", "-refresh=false"],
  });
  expect(parsePlanArgs(["mz-dev"])).toEqual({
    stack: "mz-dev",
    varFiles: [],
    allowReplace: false,
    allowRisk: false,
    json: false,
    skipSynth: false,
    outputDir: undefined,
    terraformArgs: [],
  });
});

test.each([
  [[], /missing required argument 'stack'/],
  [["a", "b"], /too many arguments/],
  [["emulator", "--var-file"], /option '--var-file <file>' argument missing/],
  [["emulator", "--force"], /unknown option '--force'/],
])("%j is a usage error that shows the usage", (argv, message) => {
  expect(() => parsePlanArgs(argv)).toThrow(UsageError);
  expect(() => parsePlanArgs(argv)).toThrow(message);
  expect(() => parsePlanArgs(argv)).toThrow(/Usage: npm run plan -- \[options\] <stack>/);
});

test("--help is generated from the options and says the exit codes", () => {
  const parsed = parsePlanArgs(["--help"]);
  expect("help" in parsed && parsed.help).toMatch(/--allow-replace +accept a plan that destroys or replaces a queue/);
  expect("help" in parsed && parsed.help).toMatch(/--allow-risk +accept the other changes that put queued messages at risk: lowered retention/);
  expect("help" in parsed && parsed.help).toMatch(
    /Exit codes: 0 plan reviewed, 1 synth\/init\/plan failed, 2 usage, 3 blocked: messages at risk \(a queue destroyed or replaced: --allow-replace; another risky change: --allow-risk\)/,
  );
});

test("a usage error exits with 2 before anything runs; --help with 0", async () => {
  const write = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
  const out = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
  try {
    await expect(main(["--nope"])).resolves.toBe(EXIT_USAGE);
    expect(String(write.mock.calls[0][0])).toMatch(/unknown option '--nope'/);
    await expect(main(["--help"])).resolves.toBe(EXIT_OK);
    expect(String(out.mock.calls[0][0])).toMatch(/^Usage: npm run plan --/);
  } finally {
    write.mockRestore();
    out.mockRestore();
  }
});

/**
 * `npm run deploy`: its command line, when it may ask and when it must refuse, and its
 * flow with planStack / terraform / the outputs replaced by test doubles (no terraform
 * here). The real runs against moto_server are in deploy.e2e.test.ts.
 */
import * as deploy from "../../../src/operations/deploy/deploy";
import * as plan from "../../../src/operations/plan/plan";
import { reviewPlan, TerraformPlanJson } from "../../../src/operations/plan/review";
import { ToolError, UsageError } from "../../../src/operations/shared/command-line";
import { EXIT_BLOCKED, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "../../../src/operations/shared/exit-codes";
import { CommandError } from "../../../src/operations/shared/run";
import * as stackFiles from "../../../src/operations/shared/stack-files";
import * as terraform from "../../../src/operations/terraform/terraform";

const { confirmationRefusal, deployStack, formatOutputs, inCi, main, parseDeployArgs } = deploy;

describe("the command line", () => {
  test("a stack, the plan options, --yes, and terraform plan arguments after --", () => {
    expect(
      parseDeployArgs([
        "emulator",
        "--var-file",
        "a.tfvars",
        "--yes",
        "--allow-replace",
        "--allow-risk",
        "--output",
        "/tmp/out",
        "--skip-synth",
        "--",
        "-target=x",
      ]),
    ).toEqual({
      stack: "emulator",
      varFiles: ["a.tfvars"],
      allowReplace: true,
      allowRisk: true,
      yes: true,
      skipSynth: true,
      outputDir: "/tmp/out",
      terraformArgs: ["-target=x"],
    });
    expect(parseDeployArgs(["mz-dev"])).toEqual({
      stack: "mz-dev",
      varFiles: [],
      allowReplace: false,
      allowRisk: false,
      yes: false,
      skipSynth: false,
      outputDir: undefined,
      terraformArgs: [],
    });
  });

  test.each([
    [[], /missing required argument 'stack'/],
    [["emulator", "--json"], /unknown option '--json'/],
    [["emulator", "--auto-approve"], /unknown option '--auto-approve'/],
  ])("%j is a usage error that shows the usage", (argv, message) => {
    expect(() => parseDeployArgs(argv)).toThrow(UsageError);
    expect(() => parseDeployArgs(argv)).toThrow(message);
    expect(() => parseDeployArgs(argv)).toThrow(/Usage: npm run deploy -- \[options\] <stack>/);
  });

  test("--help names every flag and the exit codes", () => {
    const parsed = parseDeployArgs(["--help"]);
    const help = "help" in parsed ? parsed.help : "";
    for (const flag of ["--var-file <file>", "--yes", "--allow-replace", "--allow-risk", "--output <dir>"]) expect(help).toContain(flag);
    expect(help).toMatch(/apply exactly that plan file\s+after a confirmation/);
    expect(help).toMatch(
      /Exit codes: 0 applied \(or nothing to apply\), 1 synth\/init\/plan\/apply failed, a stale plan, or not confirmed,\n2 usage \(also: no terminal, or CI, without --yes\), 3 blocked/,
    );
  });
});

describe("CI and the confirmation", () => {
  test.each([
    [undefined, false],
    ["", false],
    ["false", false],
    ["FALSE", false],
    ["0", false],
    ["1", true],
    ["true", true],
    ["yes", true],
  ])("CI=%j is CI: %s", (value, expected) => {
    expect(inCi(value === undefined ? {} : { CI: value })).toBe(expected);
  });

  test("--yes goes on anywhere", () => {
    expect(confirmationRefusal("emulator", true, false, { CI: "1" })).toBeUndefined();
  });

  test("a terminal outside CI may ask", () => {
    expect(confirmationRefusal("emulator", false, true, {})).toBeUndefined();
  });

  test("no terminal: refused, saying to pass --yes", () => {
    expect(confirmationRefusal("emulator", false, false, {})).toMatch(/no terminal to ask on .*pass --yes/);
  });

  test("CI: refused even on a terminal", () => {
    expect(confirmationRefusal("emulator", false, true, { CI: "true" })).toMatch(/without --yes in CI \(CI=true\).*pass --yes/);
  });
});

test("outputs: one `name = value` line each, objects as JSON", () => {
  expect(formatOutputs("emulator", { queue_url: "http://q", dlq_url: "http://d" })).toBe(
    'Outputs of stack "emulator":\n  queue_url = http://q\n  dlq_url   = http://d',
  );
  expect(formatOutputs("emulator", { x: { a: 1 } } as never)).toContain('x = {"a":1}');
  expect(formatOutputs("emulator", {})).toBe('Stack "emulator" has no outputs.');
});

describe("the flow (planStack, terraform apply and the outputs are test doubles)", () => {
  const risky: TerraformPlanJson = {
    format_version: "1.2",
    resource_changes: [
      {
        address: "aws_lambda_event_source_mapping.m",
        mode: "managed",
        type: "aws_lambda_event_source_mapping",
        name: "m",
        change: { actions: ["update"], before: { enabled: true }, after: { enabled: false } },
      },
    ],
  };
  const safe: TerraformPlanJson = {
    format_version: "1.2",
    resource_changes: [
      {
        address: "aws_cloudwatch_log_group.l",
        mode: "managed",
        type: "aws_cloudwatch_log_group",
        name: "l",
        change: { actions: ["update"], before: { retention_in_days: 7 }, after: { retention_in_days: 14 } },
      },
    ],
  };
  const empty: TerraformPlanJson = { format_version: "1.2", resource_changes: [], applyable: false };

  let printed: string[];
  let logged: string[];
  let applied: string[][];
  let applyFails: CommandError | undefined;

  const planned = (json: TerraformPlanJson) =>
    jest.spyOn(plan, "planStackInterruptibly").mockImplementation(async (_tool, options) => {
      const review = reviewPlan(json, { allowReplace: options.allowReplace, allowRisk: options.allowRisk });
      return {
        stack: options.stack,
        stackDir: "/stacks/emulator",
        planFile: "/stacks/emulator/plan.tfplan",
        review,
        exitCode: review.blocked ? EXIT_BLOCKED : EXIT_OK,
      };
    });
  const io = (extra: deploy.DeployIo = {}): deploy.DeployIo => ({
    env: {},
    interactive: false,
    out: (text) => printed.push(text),
    err: (text) => logged.push(text),
    ...extra,
  });
  const commandLine = (extra: Partial<deploy.DeployCommandLine> = {}): deploy.DeployCommandLine => ({ stack: "emulator", yes: true, ...extra });

  beforeEach(() => {
    printed = [];
    logged = [];
    applied = [];
    applyFails = undefined;
    jest.spyOn(terraform, "terraform").mockImplementation(async (args, options) => {
      applied.push([...args, `cwd=${options?.cwd}`]);
      if (applyFails) throw applyFails;
      return { command: `terraform ${args.join(" ")}`, code: 0, stdout: "", stderr: "" };
    });
    jest.spyOn(stackFiles, "readStackOutputs").mockResolvedValue({ queue_url: "http://127.0.0.1/q" });
  });
  afterEach(() => jest.restoreAllMocks());

  test("--yes: the review, then terraform apply of exactly the plan file, then the outputs", async () => {
    planned(safe);
    await expect(deployStack(commandLine(), io())).resolves.toBe(EXIT_OK);
    expect(applied).toEqual([["apply", "-input=false", "-no-color", "-lock-timeout=60s", "/stacks/emulator/plan.tfplan", "cwd=/stacks/emulator"]]);
    expect(printed[0]).toMatch(/^Plan review: stack "emulator"/);
    expect(printed.join("\n")).toMatch(
      /Applied the reviewed plan to stack "emulator"\.\nOutputs of stack "emulator":\n {2}queue_url = http:\/\/127\.0\.0\.1\/q/,
    );
  });

  test("a blocked plan: exit 3, nothing applied, the flag that would accept it named", async () => {
    planned(risky);
    await expect(deployStack(commandLine(), io())).resolves.toBe(EXIT_BLOCKED);
    expect(applied).toEqual([]);
    expect(printed[0]).toMatch(/MESSAGES AT RISK \(1\)/);
    expect(logged.join("\n")).toMatch(/nothing applied: the review blocks this plan .*--allow-risk would accept it/);
  });

  test("--allow-risk: the same plan is applied", async () => {
    planned(risky);
    await expect(deployStack(commandLine({ allowRisk: true }), io())).resolves.toBe(EXIT_OK);
    expect(applied).toHaveLength(1);
  });

  test("on a terminal it asks; no means nothing applied, exit 1", async () => {
    planned(safe);
    const questions: string[] = [];
    const ask = async (question: string) => (questions.push(question), false);
    await expect(deployStack(commandLine({ yes: false }), io({ interactive: true, ask }))).resolves.toBe(EXIT_FAILURE);
    expect(questions).toEqual(['Apply this plan to stack "emulator"?']);
    expect(applied).toEqual([]);
    expect(logged.join("\n")).toMatch(/not confirmed: nothing applied/);
  });

  test("on a terminal it asks; yes applies", async () => {
    planned(safe);
    await expect(deployStack(commandLine({ yes: false }), io({ interactive: true, ask: async () => true }))).resolves.toBe(EXIT_OK);
    expect(applied).toHaveLength(1);
  });

  test("a blocked plan is refused before any question", async () => {
    planned(risky);
    const ask = jest.fn(async () => true);
    await expect(deployStack(commandLine({ yes: false }), io({ interactive: true, ask }))).resolves.toBe(EXIT_BLOCKED);
    expect(ask).not.toHaveBeenCalled();
  });

  test.each([
    ["no terminal", { interactive: false, env: {} }, /no terminal to ask on/],
    ["CI, even on a terminal", { interactive: true, env: { CI: "1" } }, /in CI \(CI=1\)/],
  ])("%s without --yes: a usage error before anything is planned", async (_, extra, message) => {
    const planStack = planned(safe);
    const ask = jest.fn(async () => true);
    await expect(deployStack(commandLine({ yes: false }), io({ ...extra, ask }))).rejects.toThrow(UsageError);
    await expect(deployStack(commandLine({ yes: false }), io({ ...extra, ask }))).rejects.toThrow(message);
    expect(planStack).not.toHaveBeenCalled();
    expect(ask).not.toHaveBeenCalled();
  });

  test("nothing to apply: no question, no apply, the outputs", async () => {
    planned(empty);
    const ask = jest.fn(async () => true);
    await expect(deployStack(commandLine({ yes: false }), io({ interactive: true, ask }))).resolves.toBe(EXIT_OK);
    expect(ask).not.toHaveBeenCalled();
    expect(applied).toEqual([]);
    expect(printed.join("\n")).toMatch(/Nothing to apply: the plan makes no change\.\nOutputs of stack "emulator"/);
  });

  test("a stale plan file: terraform's refusal, said plainly", async () => {
    planned(safe);
    applyFails = new CommandError({
      command: "terraform apply",
      code: 1,
      stdout: "",
      stderr:
        "Error: Saved plan is stale\n\nThe given plan file can no longer be applied because the state was changed by another operation after the plan was created.",
    });
    const failure = deployStack(commandLine(), io());
    await expect(failure).rejects.toThrow(ToolError);
    await expect(failure).rejects.toThrow(/terraform refused the reviewed plan: it is stale.*Nothing was applied\. Run npm run deploy again/);
  });

  test("another apply failure says what the state holds", async () => {
    planned(safe);
    applyFails = new CommandError({ command: "terraform apply", code: 1, stdout: "", stderr: "Error: creating SQS Queue: AccessDenied" });
    await expect(deployStack(commandLine(), io())).rejects.toThrow(
      /terraform apply exited with 1: what was applied before the failure is in the state[^]*AccessDenied/,
    );
  });
});

test("main: a usage error exits 2 before anything runs; --help 0; no terminal without --yes 2", async () => {
  const err = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
  const out = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
  const planStack = jest.spyOn(plan, "planStack");
  try {
    await expect(main(["--nope"])).resolves.toBe(EXIT_USAGE);
    expect(String(err.mock.calls[0][0])).toMatch(/^npm run deploy: unknown option '--nope'/);
    await expect(main(["--help"])).resolves.toBe(EXIT_OK);
    expect(String(out.mock.calls[0][0])).toMatch(/^Usage: npm run deploy --/);
    await expect(main(["emulator"], { interactive: false, env: {} })).resolves.toBe(EXIT_USAGE);
    expect(String(err.mock.calls.at(-1)?.[0])).toMatch(/^npm run deploy: refusing to deploy without confirmation/);
    expect(planStack).not.toHaveBeenCalled();
  } finally {
    jest.restoreAllMocks();
  }
});

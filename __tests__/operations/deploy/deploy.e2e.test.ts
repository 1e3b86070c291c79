/**
 * `npm run deploy` end to end against moto_server, as an operator runs it (a child process,
 * `npm run --silent deploy -- ...`): the first deploy of the emulator stack with --yes
 * (beforeAll, the one ~100 s deploy of this file), then a change through a var file, the
 * refusals (a blocked plan, no terminal, CI), the question on a real terminal (a pty), and
 * terraform refusing a stale plan file. What was applied is read back with the AWS SDK.
 */
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from "@aws-sdk/client-sqs";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { applyPlanFile } from "../../../src/operations/deploy/deploy";
import { EXIT_BLOCKED, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "../../../src/operations/shared/exit-codes";
import { run, RunResult } from "../../../src/operations/shared/run";
import { describeWithTerraform } from "../../support/describe-with-terraform";
import { Emulator, secondsSince, startEmulator, stopEmulator } from "../../support/emulator-harness";

const FIRST_DEPLOY_TIMEOUT_MS = 10 * 60_000;
const DEPLOY_TIMEOUT_MS = 3 * 60_000;
const LOG_GROUP = "/aws/lambda/mz-dev-webhook-event-producer";
const DLQ = "mz-dev-webhook-queue-dlq.fifo";

/**
 * Runs `command` on a pseudo-terminal (stdin, stdout and stderr are TTYs), answering the
 * first `[y/N]` question with `answer` when one is given; its output is stdout.
 */
const ON_A_TERMINAL = `
import os, pty, select, subprocess, sys
answer, command = sys.argv[1], sys.argv[2:]
master, slave = pty.openpty()
child = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
os.close(slave)
seen, answered = b"", False
while True:
    ready, _, _ = select.select([master], [], [], 1.0)
    if not ready:
        if child.poll() is not None:
            break
        continue
    try:
        data = os.read(master, 4096)
    except OSError:
        break
    if not data:
        break
    seen += data
    sys.stdout.buffer.write(data)
    sys.stdout.flush()
    if answer and not answered and b"[y/N]" in seen:
        os.write(master, (answer + "\\n").encode())
        answered = True
sys.exit(child.wait())
`;

// eslint-disable-next-line no-control-regex
const ANSI_ESCAPES = /\u001b\[[0-9;]*[A-Za-z]/g;

describeWithTerraform("npm run deploy against moto_server", () => {
  let emulator: Emulator;
  let sqs: SQSClient;
  let logs: CloudWatchLogsClient;
  let stackDir: string;
  let firstDeploy: RunResult;
  const timings: string[] = [];

  /** `npm run --silent deploy -- emulator --output <dir> <args>`, timed. */
  const npmRunDeploy = async (label: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> => {
    const startedAt = performance.now();
    const result = await run("npm", ["run", "--silent", "deploy", "--", "emulator", "--output", emulator.outDir, ...args], {
      env: { ...process.env, ...emulator.env, ...env },
      okCodes: [0, 1, 2, 3],
    });
    timings.push(`${label} ${secondsSince(startedAt)} s`);
    return result;
  };

  /** The same on a pseudo-terminal; `answer` for the question. */
  const npmRunDeployOnTerminal = async (label: string, answer: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> => {
    const startedAt = performance.now();
    const result = await run(
      "python3",
      ["-c", ON_A_TERMINAL, answer, "npm", "run", "--silent", "deploy", "--", "emulator", "--output", emulator.outDir, ...args],
      { env: { ...process.env, ...emulator.env, ...env }, okCodes: [0, 1, 2, 3] },
    );
    timings.push(`${label} ${secondsSince(startedAt)} s`);
    // readline redraws its prompt with cursor moves; keep the text.
    return { ...result, stdout: result.stdout.replace(ANSI_ESCAPES, "").replace(/\r/g, "") };
  };

  const varFile = (name: string, text: string): string => {
    const file = join(emulator.workDir, name);
    writeFileSync(file, text);
    return file;
  };

  const logRetention = async () => (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: LOG_GROUP }))).logGroups?.[0]?.retentionInDays;
  const dlqRetention = async () => {
    const url = (await sqs.send(new GetQueueUrlCommand({ QueueName: DLQ }))).QueueUrl;
    return (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["MessageRetentionPeriod"] }))).Attributes
      ?.MessageRetentionPeriod;
  };

  beforeAll(async () => {
    emulator = await startEmulator("npm-deploy");
    sqs = new SQSClient(emulator.clientConfig);
    logs = new CloudWatchLogsClient(emulator.clientConfig);
    stackDir = join(emulator.outDir, "stacks", "emulator");
    firstDeploy = await npmRunDeploy("first npm run deploy --yes", ["--yes"]);
  }, FIRST_DEPLOY_TIMEOUT_MS);

  afterAll(async () => {
    console.log(`e2e npm run deploy timings: ${timings.join(", ")}`);
    sqs?.destroy();
    logs?.destroy();
    await stopEmulator(emulator);
  }, 30_000);

  test("the first deploy (--yes): synth, the review of every create, the apply of that plan, the outputs", async () => {
    expect(firstDeploy.code).toBe(EXIT_OK);
    expect(firstDeploy.stdout).toMatch(/^Plan review: stack "emulator"/);
    expect(firstDeploy.stdout).toMatch(/ {2}\+ create {2}aws_sqs_queue\.webhook_queue/);
    expect(firstDeploy.stdout).not.toMatch(/MESSAGES AT RISK/);
    expect(firstDeploy.stderr).toMatch(/synth: cdktf synth/);
    expect(firstDeploy.stderr).toMatch(/terraform apply .*plan\.tfplan/);
    expect(firstDeploy.stderr).toMatch(/Apply complete! Resources: \d+ added, 0 changed, 0 destroyed\./);
    expect(firstDeploy.stdout).toMatch(/Applied the reviewed plan to stack "emulator"\.\nOutputs of stack "emulator":/);
    const queueUrl = `${emulator.moto.endpoint}/123456789012/mz-dev-webhook-queue.fifo`.replace(/[.]/g, "\\.");
    expect(firstDeploy.stdout).toMatch(new RegExp(`\\n {2}queue_url += ${queueUrl}\\n`));
    expect(firstDeploy.stdout).toMatch(/\n {2}dlq_arn +?= arn:aws:sqs:ap-northeast-1:123456789012:mz-dev-webhook-queue-dlq\.fifo\n/);
    expect(await logRetention()).toBe(7);
  });

  test(
    "a change (--var-file: log_retention_in_days = 14) is reviewed, applied from the plan file, and the outputs printed",
    async () => {
      const result = await npmRunDeploy("deploy log retention 14", [
        "--yes",
        "--skip-synth",
        "--var-file",
        varFile("retention-14.tfvars", "log_retention_in_days = 14\n"),
      ]);
      expect(result.code).toBe(EXIT_OK);
      // Both log groups follow the variable; nothing else moves (the application's policies name its group's ARN, not the resource).
      expect(result.stdout).toMatch(/create: 0 {2}update: 2 {2}replace: 0 {2}delete: 0 {2}read: 0/);
      expect(result.stdout).toMatch(/~ update {2}aws_cloudwatch_log_group\.webhook_event_producer +retention_in_days/);
      expect(result.stdout).toMatch(/~ update {2}aws_cloudwatch_log_group\.webhook_application +retention_in_days/);
      expect(result.stderr).toMatch(/Apply complete! Resources: 0 added, 2 changed, 0 destroyed\./);
      expect(result.stdout).toMatch(/Outputs of stack "emulator":\n(?: {2}\S+ += .*\n)*? {2}queue_url += http:\/\/127\.0\.0\.1:/);
      expect(await logRetention()).toBe(14);
    },
    DEPLOY_TIMEOUT_MS,
  );

  test(
    "the plan file just applied is stale now: terraform refuses it, and so does applyPlanFile, saying nothing was applied",
    async () => {
      const planFile = join(stackDir, "plan.tfplan");
      expect(existsSync(planFile)).toBe(true);
      await expect(applyPlanFile(stackDir, planFile, emulator.env)).rejects.toThrow(
        /terraform refused the reviewed plan: it is stale[^]*Nothing was applied[^]*Saved plan is stale/,
      );
    },
    DEPLOY_TIMEOUT_MS,
  );

  test(
    "a blocked plan (the DLQ's retention lowered) exits 3 with --yes, and nothing is applied",
    async () => {
      const result = await npmRunDeploy("deploy blocked", [
        "--yes",
        "--skip-synth",
        "--var-file",
        varFile("dlq-1h.tfvars", "webhook = { dlq_retention_second = 3600 }\n"),
      ]);
      expect(result.code).toBe(EXIT_BLOCKED);
      expect(result.stdout).toMatch(
        /MESSAGES AT RISK \(1\):\n {2}aws_sqs_queue\.webhook_dlq: message_retention_seconds 345600 s \(4 d\) -> 3600 s \(1 h\)/,
      );
      expect(result.stderr).toMatch(/nothing applied: the review blocks this plan .*--allow-risk would accept it/);
      expect(result.stderr).not.toMatch(/terraform apply/);
      expect(await dlqRetention()).toBe("345600");
      const state = await run("terraform", ["state", "show", "-no-color", "aws_sqs_queue.webhook_dlq"], { cwd: stackDir });
      expect(state.stdout).toMatch(/message_retention_seconds += 345600/);
    },
    DEPLOY_TIMEOUT_MS,
  );

  test("without a terminal and without --yes: exit 2 before planning, saying to pass --yes", async () => {
    const result = await npmRunDeploy("deploy, no terminal", ["--skip-synth"], { CI: "" });
    expect(result.code).toBe(EXIT_USAGE);
    expect(result.stderr).toMatch(/^npm run deploy: refusing to deploy without confirmation: there is no terminal to ask on.*pass --yes/m);
    expect(result.stderr).not.toMatch(/terraform plan/);
    expect(result.stdout).toBe("");
  });

  test("in CI (CI=1) without --yes: exit 2, also on a terminal", async () => {
    const piped = await npmRunDeploy("deploy, CI", ["--skip-synth"], { CI: "1" });
    expect(piped.code).toBe(EXIT_USAGE);
    expect(piped.stderr).toMatch(/refusing to deploy without --yes in CI \(CI=1\).*pass --yes/);

    const onTerminal = await npmRunDeployOnTerminal("deploy, CI on a terminal", "y", ["--skip-synth"], { CI: "1" });
    expect(onTerminal.code).toBe(EXIT_USAGE);
    expect(onTerminal.stdout).toMatch(/refusing to deploy without --yes in CI \(CI=1\)/);
    expect(onTerminal.stdout).not.toMatch(/\[y\/N\]/);
  });

  test(
    "on a terminal it shows the review and asks; `n` applies nothing (exit 1), `y` applies the plan",
    async () => {
      const retention30 = ["--skip-synth", "--var-file", varFile("retention-30.tfvars", "log_retention_in_days = 30\n")];
      const declined = await npmRunDeployOnTerminal("deploy on a terminal, n", "n", retention30, { CI: "" });
      expect(declined.stdout).toMatch(
        /Plan review: stack "emulator"[^]*~ update {2}aws_cloudwatch_log_group\.webhook_event_producer[^]*Apply this plan to stack "emulator"\? \[y\/N\]/,
      );
      expect(declined.stdout).toMatch(/not confirmed: nothing applied/);
      expect(declined.code).toBe(EXIT_FAILURE);
      expect(await logRetention()).toBe(14);

      const confirmed = await npmRunDeployOnTerminal("deploy on a terminal, y", "y", retention30, { CI: "" });
      expect(confirmed.stdout).toMatch(/Apply this plan to stack "emulator"\? \[y\/N\] y/);
      expect(confirmed.stdout).toMatch(/Outputs of stack "emulator":/);
      expect(confirmed.code).toBe(EXIT_OK);
      expect(await logRetention()).toBe(30);
    },
    2 * DEPLOY_TIMEOUT_MS,
  );
});

/** The options every webhook-queue command accepts, before or after the command name. */
import { Command } from "commander";
import { STACKS_DIR_ENV } from "../shared/stack-files";

export interface GlobalOptions {
  readonly region?: string;
  readonly endpointUrl?: string;
  readonly queueUrl?: string;
  readonly dlqUrl?: string;
  readonly quarantineUrl?: string;
  readonly heldGroupsTable?: string;
  readonly stack?: string;
  readonly stacksDir?: string;
  readonly json: boolean;
}

export function addGlobalOptions(program: Command): Command {
  return program
    .option("--region <region>", "AWS region (default: AWS_REGION, the profile, or the queue URL's region)")
    .option("--endpoint-url <url>", "send AWS calls to this endpoint, e.g. the emulator http://127.0.0.1:5000")
    .option("--queue-url <url>", "the main FIFO queue")
    .option("--dlq-url <url>", "the FIFO dead-letter queue (default: the main queue's RedrivePolicy target)")
    .option("--quarantine-url <url>", "the FIFO quarantine queue, where the forwarder puts webhooks that fail verification")
    .option("--held-groups-table <name>", "the DynamoDB table of held message groups (groups waiting behind a dead letter)")
    .option(
      "--stack <name>",
      "read queue_url, dlq_url, quarantine_url, held_groups_table, apigateway_endpoint from the stack's terraform outputs (explicit flags win)",
    )
    .option("--stacks-dir <dir>", `where stack NAME lives as DIR/NAME (default: $${STACKS_DIR_ENV} or <project>/cdktf.out/stacks)`)
    .option("--json", "print one JSON document on stdout (progress stays on stderr)", false);
}

/** The global options of a parsed command line (`command.optsWithGlobals()`). */
export function readGlobalOptions(values: Record<string, unknown>): GlobalOptions {
  const text = (name: string) => (typeof values[name] === "string" ? (values[name] as string) : undefined);
  return {
    region: text("region"),
    endpointUrl: text("endpointUrl"),
    queueUrl: text("queueUrl"),
    dlqUrl: text("dlqUrl"),
    quarantineUrl: text("quarantineUrl"),
    heldGroupsTable: text("heldGroupsTable"),
    stack: text("stack"),
    stacksDir: text("stacksDir"),
    json: values.json === true,
  };
}

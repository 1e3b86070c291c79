/**
 * The Terraform addresses an existing state holds, by construct path inside the stack: the
 * article's, the dummy application's (which the article's repository keeps in
 * `module.webhook_application`), and this project's additions. The constructs know nothing of
 * them; the stack gives each element its name from here, so that `terraform plan` on an existing state finds every
 * resource where it is. Renaming one makes Terraform destroy and recreate it, and a recreated
 * queue loses its messages: __tests__/support/fixed-addresses.ts holds the list.
 */
import { TerraformResource } from "cdktf";
import { Construct, Node } from "constructs";

export interface AddressPin {
  /** The name in `<type>.<name>` (or `data.<type>.<name>`). */
  readonly name: string;
  /**
   * A module the article's repository created the resource in: a `moved` block takes the
   * state from `module.<movedFromModule>.<type>.<name>` to the root module.
   */
  readonly movedFromModule?: string;
}

/** Where the default source's ingress sits; the stack gives it the article's route and integration. */
const DEFAULT_SOURCE_PATH = "source-<default>";

/** The repository's module for the dummy application. */
const APPLICATION_MODULE = "webhook_application";
const fromApplicationModule = (name: string): AddressPin => ({ name, movedFromModule: APPLICATION_MODULE });

export const STACK_ADDRESSES: Readonly<Record<string, string | AddressPin>> = {
  // The article's stack.
  "existing-http-api/candidates": "this",
  "existing-http-api/api": "this",
  "queues/dead-letter-queue": "webhook_dlq",
  "queues/queue": "webhook_queue",
  "ingress-role/assume-role": "apigateway_assume_role",
  "ingress-role/role": "webhook_event_producer_role",
  "ingress-role/send-document": "sqs_send_only_policy",
  "ingress-role/send": "sqs_integration_access_policy",
  "ingress-role/exclusive-policies": "webhook_event_producer_role_policies",
  // The default source's route (the article's); see pinnedName for the other sources'.
  [`${DEFAULT_SOURCE_PATH}/integration`]: "webhook_event_producer",
  [`${DEFAULT_SOURCE_PATH}/route`]: "webhook_event_route",
  "forwarder/execution-role/assume-role": "lambda_assume_role_policy",
  "forwarder/execution-role/role": "webhook_event_producer_execution_role",
  "forwarder/execution-role/receive-document": "sqs_receive_message_policy",
  "forwarder/execution-role/receive": "sqs_receive_message_policy",
  "forwarder/execution-role/exclusive-policies": "webhook_event_producer_execution_role_policies",
  "forwarder/basic-execution": "webhook_event_producer_basic_execution_role_attach",
  "forwarder/log-group": "webhook_event_producer",
  "forwarder/package/archive": "webhook_event_producer",
  "forwarder/function": "webhook_event_producer",
  "forwarder/event-source-mapping": "webhook_event_producer_mapping",
  "forwarder/execution-role/quarantine-document": "webhook_event_producer_quarantine_policy",
  "forwarder/execution-role/quarantine": "webhook_event_producer_quarantine_policy",
  "forwarder/execution-role/secrets-document": "webhook_event_producer_secrets_policy",
  "forwarder/execution-role/secrets": "webhook_event_producer_secrets_policy",
  account: "current",

  // The dummy application, out of the repository's module into the root module.
  "application/role/role": fromApplicationModule("webhook_application_role"),
  "application/role/execution": fromApplicationModule("webhook_application_execution_policy"),
  "application/role/logging": fromApplicationModule("webhook_application_logging_policy"),
  "application/role/exclusive-policies": fromApplicationModule("webhook_application_role_policies"),
  "application/log-group": fromApplicationModule("webhook_application"),
  "application/function": fromApplicationModule("webhook_application"),
  "application/integration": fromApplicationModule("webhook_application"),
  "application/permission": fromApplicationModule("webhook_application"),
  "application/route": fromApplicationModule("webhook_application"),
  // Data sources keep no state worth moving; their names only have to differ from the forwarder's.
  "application/role/assume-role": "webhook_application_assume_role_policy",
  "application/role/execution-document": "webhook_application_execution_policy",
  "application/role/logging-document": "webhook_application_logging_policy",
  "application/package/archive": "webhook_application",

  // This project's additions.
  "queues/redrive-allow-policy": "webhook_dlq",
  "alarms/topic": "webhook_queue_alarms",
  "alarms/email": "webhook_queue_alarm_email",
  "alarms/dlq-not-empty": "webhook_dlq_not_empty",
  "alarms/oldest-message": "webhook_queue_oldest_message",
  "alarms/dlq-expiring": "webhook_dlq_expiring",
  "alarms/forwarder-errors": "webhook_event_producer_errors",
  "alarms/forwarder-throttles": "webhook_event_producer_throttles",
  "quarantine/queue": "webhook_quarantine",
  "forwarder/execution-role/invoke-document": "webhook_event_producer_invoke_policy",
  "forwarder/execution-role/invoke": "webhook_event_producer_invoke_policy",
  "alarms/dlq-arrivals": "webhook_dlq_arrivals",
  "alarms/quarantine-arrivals": "webhook_quarantine_arrivals",
  "held-groups/table": "webhook_held_groups",
  "dashboard/dashboard": "webhook_queue",
  "forwarder/execution-role/retry-document": "webhook_event_producer_retry_policy",
  "forwarder/execution-role/retry": "webhook_event_producer_retry_policy",
};

/** The path of a construct inside its stack, e.g. `queues/queue`. */
export function pathInStack(stack: Node, element: Node): string {
  return element.path.slice(stack.path.length + 1);
}

/**
 * The pinned name of the element at `path`, if it has one: the map's (the default source's
 * ingress under its own name's path), else `webhook_source_<name>_route` / `_integration` for
 * another source's, and `webhook_source_<name>_failure_rate` for each source's alarm, so that
 * each source has addresses of its own, stable while it exists.
 */
export function pinnedName(
  path: string,
  defaultSource: string,
  addresses: Readonly<Record<string, string | AddressPin>> = STACK_ADDRESSES,
): string | undefined {
  const asMapped = path.startsWith(`source-${defaultSource}/`) ? `${DEFAULT_SOURCE_PATH}/${path.slice(`source-${defaultSource}/`.length)}` : path;
  const address = addresses[asMapped];
  if (address !== undefined) return typeof address === "string" ? address : address.name;
  const source = /^source-([A-Za-z0-9_-]+)\/(route|integration)$/.exec(path);
  if (source) return `webhook_source_${source[1].replace(/-/g, "_")}_${source[2]}`;
  const failureRate = /^alarms\/source-([A-Za-z0-9_-]+)-failure-rate$/.exec(path);
  return failureRate ? `webhook_source_${failureRate[1].replace(/-/g, "_")}_failure_rate` : undefined;
}

/**
 * Adds the `moved` blocks the map asks for, once the stack is built. (Names are pinned as
 * each element asks for its logical ID: see WebhookQueueStack.allocateLogicalId.)
 */
export function addMovedBlocks(stack: Construct, addresses: Readonly<Record<string, string | AddressPin>> = STACK_ADDRESSES): void {
  for (const element of stack.node.findAll()) {
    const address = addresses[pathInStack(stack.node, element.node)];
    if (typeof address !== "object" || !address.movedFromModule) continue;
    if (!(element instanceof TerraformResource)) throw new Error(`${pathInStack(stack.node, element.node)}: only a resource has state to move`);
    element.moveFromId(`module.${address.movedFromModule}.${element.terraformResourceType}.${address.name}`);
  }
}

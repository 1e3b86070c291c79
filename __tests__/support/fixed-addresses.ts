/**
 * Every Terraform address the stack has, in one place: the unit test of the stack
 * (__tests__/infrastructure/webhook-queue-stack.test.ts) and the migration test on the
 * article's state (state-compat.e2e.test.ts) check against these lists.
 */

/**
 * The Terraform addresses the ops team's existing state holds (the article's), plus the
 * ones this project adds. Renaming any of them makes Terraform destroy and recreate it:
 * a recreated queue loses its messages.
 */
export const ARTICLE_ADDRESSES = [
  "aws_apigatewayv2_integration.webhook_event_producer",
  "aws_apigatewayv2_route.webhook_event_route",
  "aws_cloudwatch_log_group.webhook_event_producer",
  "aws_iam_role.webhook_event_producer_execution_role",
  "aws_iam_role.webhook_event_producer_role",
  "aws_iam_role_policies_exclusive.webhook_event_producer_execution_role_policies",
  "aws_iam_role_policies_exclusive.webhook_event_producer_role_policies",
  "aws_iam_role_policy.sqs_integration_access_policy",
  "aws_iam_role_policy.sqs_receive_message_policy",
  "aws_iam_role_policy_attachment.webhook_event_producer_basic_execution_role_attach",
  "aws_lambda_event_source_mapping.webhook_event_producer_mapping",
  "aws_lambda_function.webhook_event_producer",
  "aws_sqs_queue.webhook_dlq",
  "aws_sqs_queue.webhook_queue",
  "data.archive_file.webhook_event_producer",
  "data.aws_apigatewayv2_api.this",
  "data.aws_apigatewayv2_apis.this",
  "data.aws_iam_policy_document.apigateway_assume_role",
  "data.aws_iam_policy_document.lambda_assume_role_policy",
  "data.aws_iam_policy_document.sqs_receive_message_policy",
  "data.aws_iam_policy_document.sqs_send_only_policy",
];
/**
 * The dummy application, which the article's repository deploys as module.webhook_application:
 * its 9 managed resources are moved (`moved` blocks) to these root addresses, same names.
 */
export const APPLICATION_MODULE_ADDRESSES = [
  "aws_apigatewayv2_integration.webhook_application",
  "aws_apigatewayv2_route.webhook_application",
  "aws_cloudwatch_log_group.webhook_application",
  "aws_iam_role.webhook_application_role",
  "aws_iam_role_policies_exclusive.webhook_application_role_policies",
  "aws_iam_role_policy.webhook_application_execution_policy",
  "aws_iam_role_policy.webhook_application_logging_policy",
  "aws_lambda_function.webhook_application",
  "aws_lambda_permission.webhook_application",
];
export const APPLICATION_DATA_ADDRESSES = [
  "data.archive_file.webhook_application",
  "data.aws_iam_policy_document.webhook_application_assume_role_policy",
  "data.aws_iam_policy_document.webhook_application_execution_policy",
  "data.aws_iam_policy_document.webhook_application_logging_policy",
];
export const ADDED_ADDRESSES = [
  "aws_cloudwatch_metric_alarm.webhook_dlq_arrivals",
  "aws_cloudwatch_metric_alarm.webhook_dlq_expiring",
  "aws_cloudwatch_metric_alarm.webhook_dlq_not_empty",
  "aws_cloudwatch_metric_alarm.webhook_event_producer_errors",
  "aws_cloudwatch_metric_alarm.webhook_event_producer_throttles",
  "aws_cloudwatch_metric_alarm.webhook_queue_oldest_message",
  "aws_cloudwatch_metric_alarm.webhook_quarantine_arrivals",
  "aws_sns_topic.webhook_queue_alarms",
  "aws_sqs_queue_redrive_allow_policy.webhook_dlq",
  // What operators look at: the dashboard, and one failure-rate alarm per source (here the article's, "default").
  "aws_cloudwatch_dashboard.webhook_queue",
  "aws_cloudwatch_metric_alarm.webhook_source_default_failure_rate",
];
/**
 * The forwarder quarantines a webhook that fails verification in a queue of its own (and may send
 * there, nothing else); the stack's account conditions the roles' trust.
 */
export const QUARANTINE_ADDRESSES = [
  "aws_iam_role_policy.webhook_event_producer_quarantine_policy",
  "aws_sqs_queue.webhook_quarantine",
  "data.aws_caller_identity.current",
  "data.aws_iam_policy_document.webhook_event_producer_quarantine_policy",
];
/** With the dummy application: the forwarder may invoke its route (IAM authorization), nothing else. */
export const INVOKE_ADDRESSES = [
  "aws_iam_role_policy.webhook_event_producer_invoke_policy",
  "data.aws_iam_policy_document.webhook_event_producer_invoke_policy",
];
/**
 * Retries inside the queue (unless `forwarder.retry: false`): the held message groups, and the
 * forwarder's right to dead-letter (the DLQ) and to hold (the table), nothing else.
 */
export const RETRY_ADDRESSES = [
  "aws_dynamodb_table.webhook_held_groups",
  "aws_iam_role_policy.webhook_event_producer_retry_policy",
  "data.aws_iam_policy_document.webhook_event_producer_retry_policy",
];
/** Only when a source verifies signatures or a target signs: reading the secrets' SSM parameters. */
export const SECRETS_ADDRESSES = [
  "aws_iam_role_policy.webhook_event_producer_secrets_policy",
  "data.aws_iam_policy_document.webhook_event_producer_secrets_policy",
];

/** API Gateway's SQS-SendMessage integration subtype: the mapped parameters -> SendMessage -> the answer the caller gets. */
import { SendMessageCommand, SendMessageCommandInput, SQSClient, SQSServiceException } from "@aws-sdk/client-sqs";
import { GatewayAnswer, INTERNAL_SERVER_ERROR, BAD_REQUEST } from "./answers";

/** The SendMessage parameters the SQS-SendMessage subtype accepts (API Gateway's integration subtype reference). */
export const SQS_SEND_MESSAGE_PARAMETERS: ReadonlySet<string> = new Set([
  "QueueUrl",
  "MessageBody",
  "DelaySeconds",
  "MessageAttributes",
  "MessageDeduplicationId",
  "MessageGroupId",
  "MessageSystemAttributes",
  "Region",
]);

/**
 * SendMessage with the mapped parameters; the answer API Gateway gives: 200 and SQS's
 * SendMessageResponse document, SQS's own status and error document when SQS refuses,
 * 500 when SQS cannot be reached at all.
 */
export async function sendMessageAsIntegration(sqs: SQSClient, parameters: Readonly<Record<string, string | undefined>>): Promise<GatewayAnswer> {
  if (parameters.QueueUrl === undefined) return INTERNAL_SERVER_ERROR;
  if (!parameters.MessageBody) {
    // What SQS itself answers for an empty body (the SDK would refuse before sending).
    return { status: 400, body: queryError("MissingParameter", "The request must contain the parameter MessageBody.", "Sender", undefined) };
  }
  let input: SendMessageCommandInput;
  try {
    input = {
      QueueUrl: parameters.QueueUrl,
      MessageBody: parameters.MessageBody,
      MessageGroupId: parameters.MessageGroupId,
      MessageDeduplicationId: parameters.MessageDeduplicationId,
      DelaySeconds: parameters.DelaySeconds === undefined ? undefined : Number(parameters.DelaySeconds),
      MessageAttributes: parameters.MessageAttributes === undefined ? undefined : JSON.parse(parameters.MessageAttributes),
      MessageSystemAttributes: parameters.MessageSystemAttributes === undefined ? undefined : JSON.parse(parameters.MessageSystemAttributes),
    };
  } catch {
    return BAD_REQUEST;
  }
  const refused = sqsParameterProblem(input);
  if (refused) return { status: 400, body: queryError("InvalidParameterValue", refused, "Sender", undefined) };
  try {
    const result = await sqs.send(new SendMessageCommand(input));
    return {
      status: 200,
      body: {
        SendMessageResponse: {
          ResponseMetadata: { RequestId: result.$metadata.requestId ?? null },
          SendMessageResult: {
            MD5OfMessageAttributes: result.MD5OfMessageAttributes ?? null,
            MD5OfMessageBody: result.MD5OfMessageBody ?? null,
            MD5OfMessageSystemAttributes: result.MD5OfMessageSystemAttributes ?? null,
            MessageId: result.MessageId ?? null,
            SequenceNumber: result.SequenceNumber ?? null,
          },
        },
      },
    };
  } catch (error) {
    if (error instanceof SQSServiceException && error.$metadata.httpStatusCode !== undefined) {
      const type = error.$fault === "client" ? "Sender" : "Receiver";
      return { status: error.$metadata.httpStatusCode, body: queryError(error.name, error.message, type, error.$metadata.requestId) };
    }
    return INTERNAL_SERVER_ERROR;
  }
}

function queryError(code: string, message: string, type: "Sender" | "Receiver", requestId: string | undefined) {
  return { Error: { Code: code, Message: message, Type: type }, RequestId: requestId ?? null };
}

/**
 * A rule SQS applies to SendMessage that moto 5.2.1 does not check: a non-empty value for every
 * message attribute. SQS's message, or undefined. (moto_server checks the group and deduplication
 * IDs itself, with the project's patches: src/operations/emulator/moto-patches/sitecustomize.py.)
 */
export function sqsParameterProblem(input: SendMessageCommandInput): string | undefined {
  for (const [name, attribute] of Object.entries(input.MessageAttributes ?? {})) {
    if (attribute.StringValue === "" || (attribute.StringValue === undefined && attribute.BinaryValue === undefined)) {
      return `Message (user) attribute '${name}' must contain a non-empty value of type '${attribute.DataType ?? "String"}'.`;
    }
  }
  return undefined;
}

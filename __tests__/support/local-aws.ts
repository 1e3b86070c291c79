/**
 * The two AWS calls the forwarder makes, answered by a server on 127.0.0.1 in their JSON
 * protocols: SQS SendMessage (the quarantine) and SSM GetParameter (the secrets). The SDK
 * clients are the real ones, pointed here by AWS_ENDPOINT_URL (SQS also by the queue URL's
 * host), so unit tests need neither moto_server nor AWS. Every request is recorded.
 */
import { createHash, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

/** A SendMessage request as the SQS client sent it (JSON protocol; binary values in base64). */
export interface SentMessage {
  readonly QueueUrl: string;
  readonly MessageBody: string;
  readonly MessageGroupId?: string;
  readonly MessageDeduplicationId?: string;
  readonly MessageAttributes?: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;
}

export interface LocalAws {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string;
  /** The environment the SDK clients need to talk to this server only (never to AWS or an instance metadata service). */
  readonly env: {
    readonly AWS_ENDPOINT_URL: string;
    readonly AWS_REGION: string;
    readonly AWS_ACCESS_KEY_ID: string;
    readonly AWS_SECRET_ACCESS_KEY: string;
  };
  /** A FIFO queue URL on this server. */
  queueUrl(name: string): string;
  readonly sent: SentMessage[];
  readonly parameterRequests: { readonly Name: string; readonly WithDecryption?: boolean }[];
  /** SSM parameters by name; a name not here answers ParameterNotFound. */
  readonly parameters: Map<string, string>;
  /** How SendMessage answers: with a message ID, without one, or with QueueDoesNotExist. */
  sendAnswer: "message-id" | "no-message-id" | "queue-does-not-exist";
  close(): Promise<void>;
}

export async function startLocalAws(): Promise<LocalAws> {
  const sent: SentMessage[] = [];
  const parameterRequests: { Name: string; WithDecryption?: boolean }[] = [];
  const parameters = new Map<string, string>();
  const state = { sendAnswer: "message-id" as LocalAws["sendAnswer"] };

  const reply = (response: http.ServerResponse, status: number, contentType: string, body: unknown): void => {
    response.writeHead(status, { "content-type": contentType });
    response.end(JSON.stringify(body));
  };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const input = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
      switch (request.headers["x-amz-target"]) {
        case "AmazonSQS.SendMessage": {
          sent.push(input);
          const type = "application/x-amz-json-1.0";
          if (state.sendAnswer === "queue-does-not-exist") {
            return reply(response, 400, type, { __type: "com.amazonaws.sqs#QueueDoesNotExist", message: "The specified queue does not exist." });
          }
          const md5 = createHash("md5").update(input.MessageBody, "utf8").digest("hex");
          return reply(response, 200, type, {
            MD5OfMessageBody: md5,
            ...(state.sendAnswer === "message-id" && { MessageId: randomUUID(), SequenceNumber: "18849496460467696128" }),
          });
        }
        case "AmazonSSM.GetParameter": {
          parameterRequests.push(input);
          const type = "application/x-amz-json-1.1";
          const value = parameters.get(input.Name);
          if (value === undefined) return reply(response, 400, type, { __type: "ParameterNotFound", message: `parameter ${input.Name} not found` });
          return reply(response, 200, type, { Parameter: { Name: input.Name, Type: "SecureString", Value: value, Version: 1, DataType: "text" } });
        }
        default:
          return reply(response, 400, "application/json", { __type: "UnknownOperationException", message: String(request.headers["x-amz-target"]) });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    env: { AWS_ENDPOINT_URL: endpoint, AWS_REGION: "ap-northeast-1", AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local" },
    queueUrl: (name) => `${endpoint}/123456789012/${name}`,
    sent,
    parameterRequests,
    parameters,
    get sendAnswer() {
      return state.sendAnswer;
    },
    set sendAnswer(answer) {
      state.sendAnswer = answer;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

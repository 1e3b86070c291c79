/** The Terraform expressions the local rehearsal evaluates in synthesized JSON strings, as Terraform does. */
import { evaluateTemplate, terraformJsonencode } from "../../../src/operations/local/terraform-expressions";

const values: Record<string, string | number | boolean> = {
  "aws_sqs_queue.webhook_queue.url": "http://127.0.0.1:5000/123456789012/q.fifo",
  "aws_sqs_queue.webhook_queue.arn": "arn:aws:sqs:ap-northeast-1:123456789012:q.fifo",
  "data.aws_region.current.name": "ap-northeast-1",
  "aws_lambda_function.f.timeout": 60,
};
const lookup = (expression: string) => {
  if (!(expression in values)) throw new Error(`no ${expression}`);
  return values[expression];
};

describe("evaluateTemplate", () => {
  test.each([
    ["plain text", "plain text"],
    ["q=${aws_sqs_queue.webhook_queue.url}!", "q=http://127.0.0.1:5000/123456789012/q.fifo!"],
    ["${ data.aws_region.current.name }", "ap-northeast-1"],
    ["t=${aws_lambda_function.f.timeout}", "t=60"],
    // `$${` and `%%{` are literals: API Gateway's own templates survive.
    ["v=$${context.requestId}", "v=${context.requestId}"],
    ["%%{if}", "%{if}"],
    ["a $ sign and a { brace", "a $ sign and a { brace"],
  ])("%j -> %j", (template, expected) => {
    expect(evaluateTemplate(template, lookup)).toBe(expected);
  });

  test("jsonencode of an object as cdktf writes it: keys sorted, references resolved, API Gateway templates kept", () => {
    const template =
      '${jsonencode({"webhook-source" = {"DataType" = "String", "StringValue" = "github"}, "webhook-id" = {"DataType" = "String", "StringValue" = "v=$${request.header.X-GitHub-Delivery}"}, "queue" = aws_sqs_queue.webhook_queue.arn})}';
    expect(evaluateTemplate(template, lookup)).toBe(
      '{"queue":"arn:aws:sqs:ap-northeast-1:123456789012:q.fifo",' +
        '"webhook-id":{"DataType":"String","StringValue":"v=${request.header.X-GitHub-Delivery}"},' +
        '"webhook-source":{"DataType":"String","StringValue":"github"}}',
    );
  });

  test("jsonencode of tuples, numbers, booleans, null, escapes and an interpolation inside a string", () => {
    expect(
      evaluateTemplate('${jsonencode({"a" = [1, 2.5, true, null], "b" = "say \\"hi\\"\\n", "c" = "u=${aws_sqs_queue.webhook_queue.url}"})}', lookup),
    ).toBe('{"a":[1,2.5,true,null],"b":"say \\"hi\\"\\n","c":"u=http://127.0.0.1:5000/123456789012/q.fifo"}');
  });

  test.each([
    ["${var.webhook.max_concurrency}", /only resource attribute references/],
    ["${local.x}", /only resource attribute references/],
    ["${upper(aws_sqs_queue.webhook_queue.url)}", /the function upper\(\)/],
    ["${aws_sqs_queue.webhook_queue.url", /expected "\}"/],
    ['${jsonencode({"a" = "open})}', /unterminated string/],
    ['${jsonencode({"a" "b"})}', /"=" after the key "a"/],
    ['${jsonencode({"a" = [1])}', /expected/],
    ['${jsonencode("\\q")}', /known escape sequence/],
    ["${aws_sqs_queue.other.url}", /no aws_sqs_queue.other.url/],
  ])("%j is refused, naming what it expected", (template, message) => {
    expect(() => evaluateTemplate(template, lookup)).toThrow(message);
  });
});

describe("terraformJsonencode", () => {
  test("escapes what Terraform's jsonencode escapes: <, >, &, U+2028, U+2029", () => {
    expect(terraformJsonencode({ "a&b": "<tag> & \u2028\u2029" })).toBe('{"a\\u0026b":"\\u003ctag\\u003e \\u0026 \\u2028\\u2029"}');
  });

  test("sorts keys at every level; keeps tuple order", () => {
    expect(terraformJsonencode({ b: { z: 1, a: 2 }, a: ["z", "a"] })).toBe('{"a":["z","a"],"b":{"a":2,"z":1}}');
  });
});

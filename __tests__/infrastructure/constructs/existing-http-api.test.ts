import { DataAwsApigatewayv2Api } from "@cdktf/provider-aws/lib/data-aws-apigatewayv2-api";
import { DataAwsApigatewayv2Apis } from "@cdktf/provider-aws/lib/data-aws-apigatewayv2-apis";
import { TerraformVariable, Testing } from "cdktf";
import { ExistingHttpApi, ExistingHttpApiProps } from "../../../src/infrastructure/constructs/existing-http-api";

/** The construct on its own, in an otherwise empty stack. */
function synthExistingApi(props: Partial<ExistingHttpApiProps> = {}) {
  let construct!: ExistingHttpApi;
  const text = Testing.synthScope((scope) => {
    construct = new ExistingHttpApi(scope, "existing-api", { name: "shop-api", ...props });
  });
  return { text, json: JSON.parse(text), construct };
}

describe("ExistingHttpApi", () => {
  test("looks up the HTTP APIs carrying the given name (aws_apigatewayv2_apis), and nothing else", () => {
    const { text, json, construct } = synthExistingApi();
    expect(text).toHaveDataSourceWithProperties(DataAwsApigatewayv2Apis, { protocol_type: "HTTP", name: "shop-api" });
    expect(json.data.aws_apigatewayv2_apis).toEqual({ [construct.candidates.friendlyUniqueId]: { protocol_type: "HTTP", name: "shop-api" } });
    expect(Object.keys(json.data).sort()).toEqual(["aws_apigatewayv2_api", "aws_apigatewayv2_apis"]);
    expect(json.resource).toBeUndefined();
  });

  test("reads the API by one() of the matching IDs, so that no match or several matches fail the plan", () => {
    const { text, json, construct } = synthExistingApi();
    const candidates = construct.candidates.friendlyUniqueId;
    expect(text).toHaveDataSourceWithProperties(DataAwsApigatewayv2Api, { api_id: `\${one(tolist(data.aws_apigatewayv2_apis.${candidates}.ids))}` });
    expect(json.data.aws_apigatewayv2_api).toEqual({
      [construct.api.friendlyUniqueId]: { api_id: `\${one(tolist(data.aws_apigatewayv2_apis.${candidates}.ids))}` },
    });
  });

  test("the name may be a Terraform reference, e.g. var.apigw_name", () => {
    let construct!: ExistingHttpApi;
    const json = JSON.parse(
      Testing.synthScope((scope) => {
        const name = new TerraformVariable(scope, "apigw_name", { type: "string" });
        construct = new ExistingHttpApi(scope, "existing-api", { name: name.stringValue });
      }),
    );
    expect(json.data.aws_apigatewayv2_apis[construct.candidates.friendlyUniqueId].name).toBe("${var.apigw_name}");
  });

  test("exposes both data sources under the construct IDs the stack's address map pins (candidates, api)", () => {
    const { construct } = synthExistingApi();
    expect(construct.candidates).toBeInstanceOf(DataAwsApigatewayv2Apis);
    expect(construct.api).toBeInstanceOf(DataAwsApigatewayv2Api);
    expect(construct.candidates.node.id).toBe("candidates");
    expect(construct.api.node.id).toBe("api");
  });
});

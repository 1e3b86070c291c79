import { DataAwsApigatewayv2Api } from "@cdktf/provider-aws/lib/data-aws-apigatewayv2-api";
import { DataAwsApigatewayv2Apis } from "@cdktf/provider-aws/lib/data-aws-apigatewayv2-apis";
import { synth } from "../support/synth";

describe("ExistingHttpApi: the aws_apigatewayv2_apis -> aws_apigatewayv2_api lookup", () => {
  const { text, json } = synth();

  test("finds the HTTP API by var.apigw_name", () => {
    expect(text).toHaveDataSourceWithProperties(DataAwsApigatewayv2Apis, { protocol_type: "HTTP", name: "${var.apigw_name}" });
    expect(Object.keys(json.data.aws_apigatewayv2_apis)).toEqual(["this"]);
  });

  test("reads it with one() of the ids, so zero or several matches fail the plan", () => {
    expect(text).toHaveDataSourceWithProperties(DataAwsApigatewayv2Api, { api_id: "${one(tolist(data.aws_apigatewayv2_apis.this.ids))}" });
    expect(Object.keys(json.data.aws_apigatewayv2_api)).toEqual(["this"]);
  });
});

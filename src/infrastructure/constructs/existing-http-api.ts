import { DataAwsApigatewayv2Api } from "@cdktf/provider-aws/lib/data-aws-apigatewayv2-api";
import { DataAwsApigatewayv2Apis } from "@cdktf/provider-aws/lib/data-aws-apigatewayv2-apis";
import { Fn } from "cdktf";
import { Construct } from "constructs";

export interface ExistingHttpApiProps {
  /** Name of the HTTP API that already exists (usually `var.apigw_name`). */
  readonly name: string;
}

/**
 * The HTTP API the webhook already reaches. `aws_apigatewayv2_api` needs an ID, so the
 * article finds it by name with `aws_apigatewayv2_apis` and takes `one(ids)`: the plan
 * fails if no API or several APIs carry that name.
 */
export class ExistingHttpApi extends Construct {
  public readonly candidates: DataAwsApigatewayv2Apis;
  public readonly api: DataAwsApigatewayv2Api;

  constructor(scope: Construct, id: string, props: ExistingHttpApiProps) {
    super(scope, id);
    this.candidates = new DataAwsApigatewayv2Apis(this, "candidates", { protocolType: "HTTP", name: props.name });
    this.api = new DataAwsApigatewayv2Api(this, "api", { apiId: Fn.one(this.candidates.ids) });
  }
}

import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePoliciesExclusive } from "@cdktf/provider-aws/lib/iam-role-policies-exclusive";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Testing } from "cdktf";
import { ServiceRole, ServiceRoleProps } from "../../../src/infrastructure/constructs/service-role";

const SEND = {
  name: "send-policy",
  statements: [{ actions: ["sqs:SendMessage"], resources: ["arn:aws:sqs:ap-northeast-1:123456789012:shop.fifo"] }],
};
const LOGS = {
  name: "logs-policy",
  statements: [
    { actions: ["logs:CreateLogStream"], resources: ["arn:aws:logs:ap-northeast-1:123456789012:log-group:/shop:*"] },
    { actions: ["logs:PutLogEvents"], resources: ["arn:aws:logs:ap-northeast-1:123456789012:log-group:/shop:*"] },
  ],
};

/** The construct on its own: one inline policy unless told otherwise. */
function synthRole(props: Partial<ServiceRoleProps> = {}) {
  let construct!: ServiceRole;
  const text = Testing.synthScope((scope) => {
    construct = new ServiceRole(scope, "role", { servicePrincipal: "apigateway.amazonaws.com", inlinePolicies: { send: SEND }, ...props });
  });
  const json = JSON.parse(text);
  const roleId = construct.role.friendlyUniqueId;
  return { text, json, construct, roleId, role: json.resource.aws_iam_role[roleId] };
}

describe("ServiceRole", () => {
  test("the trust policy lets the given service, and only it, assume the role", () => {
    const { text, json, construct, role } = synthRole();
    const trust = json.data.aws_iam_policy_document[construct.assumeRolePolicy.friendlyUniqueId];
    expect(trust).toEqual({
      statement: [{ actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: ["apigateway.amazonaws.com"] }] }],
    });
    expect(text).toHaveDataSourceWithProperties(DataAwsIamPolicyDocument, {
      statement: [{ actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: ["apigateway.amazonaws.com"] }] }],
    });
    expect(role.assume_role_policy).toBe(`\${data.aws_iam_policy_document.${construct.assumeRolePolicy.friendlyUniqueId}.json}`);
  });

  test("the service principal is a prop", () => {
    const { json, construct } = synthRole({ servicePrincipal: "lambda.amazonaws.com" });
    expect(json.data.aws_iam_policy_document[construct.assumeRolePolicy.friendlyUniqueId].statement[0].principals).toEqual([
      { type: "Service", identifiers: ["lambda.amazonaws.com"] },
    ]);
  });

  test("role name: none by default, so Terraform generates one", () => {
    const { text, role, construct } = synthRole();
    expect(text).toHaveResource(IamRole);
    expect(role).toEqual({ assume_role_policy: `\${data.aws_iam_policy_document.${construct.assumeRolePolicy.friendlyUniqueId}.json}` });
    expect(role.name).toBeUndefined();
  });

  test("role name: roleName sets it", () => {
    const { text, role } = synthRole({ roleName: "shop-ingress-role" });
    expect(text).toHaveResourceWithProperties(IamRole, { name: "shop-ingress-role" });
    expect(role.name).toBe("shop-ingress-role");
  });

  test("each inline policy: a policy document `<id>-document` with exactly its statements, and an aws_iam_role_policy `<id>` on the role", () => {
    const { text, json, construct, roleId } = synthRole({ inlinePolicies: { send: SEND, logs: LOGS } });
    for (const [id, policy] of Object.entries({ send: SEND, logs: LOGS })) {
      const document = construct.node.findChild(`${id}-document`) as DataAwsIamPolicyDocument;
      expect(document).toBeInstanceOf(DataAwsIamPolicyDocument);
      expect(json.data.aws_iam_policy_document[document.friendlyUniqueId]).toEqual({ statement: policy.statements });
      const rolePolicy = construct.inlinePolicies[id];
      expect(rolePolicy).toBeInstanceOf(IamRolePolicy);
      expect(rolePolicy.node.id).toBe(id);
      expect(json.resource.aws_iam_role_policy[rolePolicy.friendlyUniqueId]).toEqual({
        name: policy.name,
        role: `\${aws_iam_role.${roleId}.id}`,
        policy: `\${data.aws_iam_policy_document.${document.friendlyUniqueId}.json}`,
      });
    }
    expect(text).toHaveResourceWithProperties(IamRolePolicy, { name: "send-policy" });
    expect(text).toHaveResourceWithProperties(IamRolePolicy, { name: "logs-policy" });
    expect(Object.keys(json.resource.aws_iam_role_policy)).toHaveLength(2);
    // The trust policy and one document per inline policy: nothing else.
    expect(Object.keys(json.data.aws_iam_policy_document)).toHaveLength(3);
    expect(Object.keys(construct.inlinePolicies)).toEqual(["send", "logs"]);
  });

  test("the inline policies are held exclusive: any other inline policy on the role is removed on apply", () => {
    const { text, json, construct, roleId } = synthRole({ inlinePolicies: { send: SEND, logs: LOGS } });
    const names = ["send", "logs"].map((id) => `\${aws_iam_role_policy.${construct.inlinePolicies[id].friendlyUniqueId}.name}`);
    expect(text).toHaveResourceWithProperties(IamRolePoliciesExclusive, { role_name: `\${aws_iam_role.${roleId}.name}`, policy_names: names });
    expect(Object.values(json.resource.aws_iam_role_policies_exclusive)).toEqual([
      { role_name: `\${aws_iam_role.${roleId}.name}`, policy_names: names },
    ]);
    expect(construct.exclusivePolicies.friendlyUniqueId).toBe(Object.keys(json.resource.aws_iam_role_policies_exclusive)[0]);
  });

  test("no inline policies: the role still holds its (empty) set exclusive, and has no policy documents but the trust policy", () => {
    const { json, roleId } = synthRole({ inlinePolicies: {} });
    expect(json.resource.aws_iam_role_policy).toBeUndefined();
    expect(Object.values(json.resource.aws_iam_role_policies_exclusive)).toEqual([
      { role_name: `\${aws_iam_role.${roleId}.name}`, policy_names: [] },
    ]);
    expect(Object.keys(json.data.aws_iam_policy_document)).toHaveLength(1);
  });

  test("creates nothing else: no managed policy attachment, no wildcard", () => {
    const { json } = synthRole();
    expect(Object.keys(json.resource).sort()).toEqual(["aws_iam_role", "aws_iam_role_policies_exclusive", "aws_iam_role_policy"]);
    expect(Object.keys(json.data)).toEqual(["aws_iam_policy_document"]);
    expect(JSON.stringify(json)).not.toContain('"*"');
  });
});

import { DataAwsIamPolicyDocument, DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePoliciesExclusive } from "@cdktf/provider-aws/lib/iam-role-policies-exclusive";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Construct } from "constructs";

export interface InlinePolicyProps {
  /** The policy's name on the role. */
  readonly name: string;
  readonly statements: DataAwsIamPolicyDocumentStatement[];
}

export interface ServiceRoleProps {
  /** The AWS service that assumes the role, e.g. `lambda.amazonaws.com`. */
  readonly servicePrincipal: string;
  /** @default - a name Terraform generates */
  readonly roleName?: string;
  /**
   * Who the service may assume the role on behalf of (confused-deputy protection): the account, and
   * the ARN of the resource it acts for. Each applies when the service states it (`...IfExists`):
   * AWS does not document that Lambda and API Gateway do for these roles, and a condition on a key
   * a service does not send would lock it out. @default - no condition
   */
  readonly trustedSource?: { readonly account: string; readonly arn: string };
  /**
   * The role's inline policies, by construct ID: `<id>-document` is the policy document,
   * `<id>` the `aws_iam_role_policy`.
   */
  readonly inlinePolicies: Readonly<Record<string, InlinePolicyProps>>;
}

/**
 * A role one AWS service assumes, with its inline policies held exclusive: any inline
 * policy added outside Terraform is removed on the next apply (the article's pattern).
 */
export class ServiceRole extends Construct {
  public readonly assumeRolePolicy: DataAwsIamPolicyDocument;
  public readonly role: IamRole;
  /** By the IDs of `inlinePolicies`. */
  public readonly inlinePolicies: Readonly<Record<string, IamRolePolicy>>;
  public readonly exclusivePolicies: IamRolePoliciesExclusive;

  constructor(scope: Construct, id: string, props: ServiceRoleProps) {
    super(scope, id);
    this.assumeRolePolicy = new DataAwsIamPolicyDocument(this, "assume-role", {
      statement: [
        {
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: [props.servicePrincipal] }],
          ...(props.trustedSource && {
            condition: [
              { test: "StringEqualsIfExists", variable: "aws:SourceAccount", values: [props.trustedSource.account] },
              { test: "ArnLikeIfExists", variable: "aws:SourceArn", values: [props.trustedSource.arn] },
            ],
          }),
        },
      ],
    });
    this.role = new IamRole(this, "role", { name: props.roleName, assumeRolePolicy: this.assumeRolePolicy.json });
    const policies: Record<string, IamRolePolicy> = {};
    for (const [policyId, policy] of Object.entries(props.inlinePolicies)) {
      const document = new DataAwsIamPolicyDocument(this, `${policyId}-document`, { statement: policy.statements });
      policies[policyId] = new IamRolePolicy(this, policyId, { name: policy.name, role: this.role.id, policy: document.json });
    }
    this.inlinePolicies = policies;
    this.exclusivePolicies = new IamRolePoliciesExclusive(this, "exclusive-policies", {
      roleName: this.role.name,
      policyNames: Object.values(policies).map((policy) => policy.name),
    });
  }
}

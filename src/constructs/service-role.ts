import { DataAwsIamPolicyDocument, DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePoliciesExclusive } from "@cdktf/provider-aws/lib/iam-role-policies-exclusive";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Construct } from "constructs";

/** The Terraform names (state addresses) of a service role's five blocks, fixed by the article. */
export interface ServiceRoleAddresses {
  /** data.aws_iam_policy_document.<assumeRolePolicy> */
  readonly assumeRolePolicy: string;
  /** data.aws_iam_policy_document.<permissionsPolicy> */
  readonly permissionsPolicy: string;
  /** aws_iam_role.<role> */
  readonly role: string;
  /** aws_iam_role_policy.<inlinePolicy> */
  readonly inlinePolicy: string;
  /** aws_iam_role_policies_exclusive.<exclusivePolicies> */
  readonly exclusivePolicies: string;
}

export interface ServiceRoleProps {
  /** The AWS service that assumes the role, e.g. `lambda.amazonaws.com`. */
  readonly servicePrincipal: string;
  readonly roleName: string;
  /** Name of the role's one inline policy. */
  readonly inlinePolicyName: string;
  readonly statements: DataAwsIamPolicyDocumentStatement[];
  readonly addresses: ServiceRoleAddresses;
}

/**
 * A role one AWS service assumes, with one inline policy, held exclusive: any inline
 * policy added outside Terraform is removed on the next apply (the article's pattern).
 */
export class ServiceRole extends Construct {
  public readonly role: IamRole;
  public readonly inlinePolicy: IamRolePolicy;

  constructor(scope: Construct, id: string, props: ServiceRoleProps) {
    super(scope, id);
    const { addresses } = props;
    const assumeRole = new DataAwsIamPolicyDocument(this, "assume-role", {
      statement: [{ actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: [props.servicePrincipal] }] }],
    });
    assumeRole.overrideLogicalId(addresses.assumeRolePolicy); // fixed state address

    const permissions = new DataAwsIamPolicyDocument(this, "permissions", { statement: props.statements });
    permissions.overrideLogicalId(addresses.permissionsPolicy); // fixed state address

    this.role = new IamRole(this, "role", { name: props.roleName, assumeRolePolicy: assumeRole.json });
    this.role.overrideLogicalId(addresses.role); // fixed state address

    this.inlinePolicy = new IamRolePolicy(this, "inline-policy", {
      name: props.inlinePolicyName,
      role: this.role.id,
      policy: permissions.json,
    });
    this.inlinePolicy.overrideLogicalId(addresses.inlinePolicy); // fixed state address

    new IamRolePoliciesExclusive(this, "exclusive-policies", {
      roleName: this.role.name,
      policyNames: [this.inlinePolicy.name],
    }).overrideLogicalId(addresses.exclusivePolicies); // fixed state address
  }
}

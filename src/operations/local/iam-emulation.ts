/**
 * The IAM side of the rehearsal: each local function runs with its role's temporary credentials
 * (STS AssumeRole in the emulator, as Lambda gets them), and the local gateway checks a route's
 * IAM authorization against the keys issued here and the roles' policies in the emulator.
 */
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from "@aws-sdk/client-iam";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { IamAuthority, IamIdentity } from "./gateway/iam-authorization";

/** The credentials a function's sandbox runs with, and the identity the gateway knows them by. */
export interface RoleCredentials extends IamIdentity {
  readonly accessKeyId: string;
}

/** Keys issued to the rehearsal's functions; the gateway's IAM authority over them. */
export class IssuedRoles implements IamAuthority {
  private readonly identities = new Map<string, RoleCredentials>();

  constructor(
    private readonly clients: { readonly sts: STSClient; readonly iam: IAMClient },
    readonly region: string,
  ) {}

  /** Assumes `roleArn` as Lambda does for a function named `sessionName`. */
  async assume(roleArn: string, sessionName: string): Promise<RoleCredentials> {
    const { Credentials, AssumedRoleUser } = await this.clients.sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName }));
    if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey) throw new Error(`the emulator gave no credentials for ${roleArn}`);
    const issued: RoleCredentials = {
      accessKeyId: Credentials.AccessKeyId,
      secretAccessKey: Credentials.SecretAccessKey,
      sessionToken: Credentials.SessionToken,
      roleArn,
      callerArn: AssumedRoleUser?.Arn ?? roleArn,
    };
    this.identities.set(issued.accessKeyId, issued);
    return issued;
  }

  identityOf(accessKeyId: string): IamIdentity | undefined {
    return this.identities.get(accessKeyId);
  }

  /** The role's inline policies and the default versions of its attached ones. */
  async policiesOf(roleArn: string): Promise<readonly string[]> {
    const { iam } = this.clients;
    const RoleName = roleArn.split("/").pop()!;
    const inline = (await iam.send(new ListRolePoliciesCommand({ RoleName }))).PolicyNames ?? [];
    const documents = await Promise.all(
      inline.map(async (PolicyName) => (await iam.send(new GetRolePolicyCommand({ RoleName, PolicyName }))).PolicyDocument ?? "{}"),
    );
    for (const attached of (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName }))).AttachedPolicies ?? []) {
      const policy = (await iam.send(new GetPolicyCommand({ PolicyArn: attached.PolicyArn }))).Policy;
      const version = await iam.send(new GetPolicyVersionCommand({ PolicyArn: attached.PolicyArn, VersionId: policy?.DefaultVersionId }));
      documents.push(version.PolicyVersion?.Document ?? "{}");
    }
    return documents;
  }
}

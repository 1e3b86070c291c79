/**
 * API Gateway's IAM authorization of a route (`authorization_type = "AWS_IAM"`), as the local
 * gateway applies it: the request must be signed (SigV4, `execute-api`) by a key the rehearsal
 * issued, and the key's role must be allowed `execute-api:Invoke` on the route's ARN by its IAM
 * policies, read from the emulator. Anything else is answered 403, as API Gateway does.
 */
import { SignedRequest, SigningSecret, verifySignatureV4 } from "./sigv4-verification";

/** The holder of a key the rehearsal issued (a function's role credentials from STS). */
export interface IamIdentity extends SigningSecret {
  readonly roleArn: string;
  /** `arn:aws:sts::<account>:assumed-role/<role>/<session>`: what the route's function sees as the caller. */
  readonly callerArn: string;
}

export interface IamAuthority {
  readonly region: string;
  identityOf(accessKeyId: string): IamIdentity | undefined;
  /** The role's policy documents (inline and attached), as JSON. */
  policiesOf(roleArn: string): Promise<readonly string[]>;
}

export type IamDecision = { readonly allowed: true; readonly identity: IamIdentity } | { readonly allowed: false; readonly why: string };

/** Signed by a known key, and its role may invoke `resourceArn`. */
export async function authorizeIam(request: SignedRequest, resourceArn: string, authority: IamAuthority, now = new Date()): Promise<IamDecision> {
  const signature = await verifySignatureV4(request, (key) => authority.identityOf(key), { region: authority.region, service: "execute-api" }, now);
  if (!signature.valid) return { allowed: false, why: signature.why };
  const identity = authority.identityOf(signature.accessKeyId)!;
  const verdict = evaluatePolicies(await authority.policiesOf(identity.roleArn), "execute-api:Invoke", resourceArn);
  if (verdict !== "allow") {
    return { allowed: false, why: `${identity.roleArn} is ${verdict === "deny" ? "denied" : "not allowed"} execute-api:Invoke on ${resourceArn}` };
  }
  return { allowed: true, identity };
}

interface Statement {
  readonly Effect?: string;
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: string | string[];
  readonly NotResource?: string | string[];
  readonly Condition?: unknown;
}

/**
 * IAM's rule for identity policies: an explicit Deny wins, else any Allow, else nothing is allowed.
 * Wildcards `*` and `?`; actions compared without case. A statement with a Condition grants nothing
 * here (the conditions are not evaluated) but still denies.
 */
export function evaluatePolicies(documents: readonly string[], action: string, resource: string): "allow" | "deny" | "none" {
  const statements = documents.flatMap((document) => {
    const parsed = JSON.parse(document.trimStart().startsWith("{") ? document : decodeURIComponent(document)) as {
      Statement?: Statement | Statement[];
    };
    return [parsed.Statement ?? []].flat();
  });
  const applies = (statement: Statement) =>
    matchesAny(statement.Action, statement.NotAction, action, true) && matchesAny(statement.Resource, statement.NotResource, resource, false);
  if (statements.some((statement) => statement.Effect === "Deny" && applies(statement))) return "deny";
  return statements.some((statement) => statement.Effect === "Allow" && statement.Condition === undefined && applies(statement)) ? "allow" : "none";
}

function matchesAny(list: string | string[] | undefined, notList: string | string[] | undefined, value: string, ignoreCase: boolean): boolean {
  const matches = (patterns: string | string[]) => [patterns].flat().some((pattern) => wildcard(pattern, ignoreCase).test(value));
  if (list !== undefined) return matches(list);
  return notList !== undefined && !matches(notList);
}

function wildcard(pattern: string, ignoreCase: boolean): RegExp {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${source}$`, ignoreCase ? "i" : "");
}

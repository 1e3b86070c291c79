/**
 * The one bundling step for the project's Lambda functions: esbuild turns each folder
 * under lambda/ into a single minified CommonJS file for the Node.js 22 runtime. The
 * stack, the tests, the local rehearsal and the benchmarks all use this, so they exercise
 * the file Lambda gets.
 */
import { buildSync } from "esbuild";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { writeFileAtomically } from "../../files";
import { BUILD_DIR, PROJECT_ROOT } from "../../project";
import { deterministicZip } from "./zip";

/** The Lambda functions of lambda/, by folder name. */
export type LambdaName = "forwarder" | "webhook-application";

/** The bundle's file name; the Lambda `handler` attribute is `<file without .js>.<export>`. */
export const BUNDLE_FILE_NAME = "index.js";
export const BUNDLE_HANDLER = "index.handler";

export interface LambdaBundle {
  readonly name: LambdaName;
  /** Absolute path of the bundled file. */
  readonly file: string;
  readonly code: Buffer;
  /** Hex SHA-256 of the code. */
  readonly sha256: string;
}

/** lambda/<name>/index.ts */
export function lambdaEntry(name: LambdaName): string {
  return join(PROJECT_ROOT, "lambda", name, "index.ts");
}

const memoized = new Map<LambdaName, LambdaBundle>();

/**
 * Bundles lambda/<name>/ (memoized per process) into `.build/<name>/<hash>/index.js`.
 * The folder is named by content and written by rename, so concurrent synths (parallel
 * tests, `cdktf synth` beside `npm run local`) never read a half-written file.
 */
export function bundleLambda(name: LambdaName): LambdaBundle {
  const known = memoized.get(name);
  if (known) return known;
  const entry = lambdaEntry(name);
  const result = buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    minify: true,
    legalComments: "none",
    // The Node.js 22 Lambda runtime has the AWS SDK v3; bundling it would triple the package.
    external: ["@aws-sdk/*"],
    sourcemap: false,
    write: false,
    // Paths and timestamps stay out of the output so that two synths give the same bytes.
    absWorkingDir: PROJECT_ROOT,
    logLevel: "silent",
  });
  if (result.errors.length > 0) {
    throw new Error(`esbuild failed for ${entry}: ${result.errors.map((e) => e.text).join("; ")}`);
  }
  const code = Buffer.from(result.outputFiles[0].contents);
  const sha256 = createHash("sha256").update(code).digest("hex");
  const file = join(BUILD_DIR, name, sha256.slice(0, 16), BUNDLE_FILE_NAME);
  writeFileAtomically(file, code);
  const bundle = { name, file, code, sha256 };
  memoized.set(name, bundle);
  return bundle;
}

export interface LambdaZip {
  readonly zip: Buffer;
  /** Base64 SHA-256 of the zip: Terraform's `source_code_hash`, and the CodeSha256 Lambda reports. */
  readonly sha256Base64: string;
}

/** The deployment package of a bundle: a deterministic zip holding `index.js`. */
export function lambdaZip(bundle: LambdaBundle): LambdaZip {
  const zip = deterministicZip([{ name: BUNDLE_FILE_NAME, data: bundle.code }]);
  return { zip, sha256Base64: createHash("sha256").update(zip).digest("base64") };
}

/**
 * The one bundling step for the Lambda forwarder: esbuild turns lambda/forwarder/
 * into a single minified CommonJS file for the Node.js 22 runtime. The stack, the
 * tests and the benchmark all use this, so they exercise the file Lambda gets.
 */
import { buildSync } from "esbuild";
import { createHash } from "node:crypto";
import { join, resolve } from "node:path";
import { writeFileAtomically } from "../files";

const PROJECT_ROOT = resolve(__dirname, "..", "..");

export const FORWARDER_ENTRY = join(PROJECT_ROOT, "lambda", "forwarder", "index.ts");
/** The bundle's file name; the Lambda `handler` attribute is `<file without .js>.<export>`. */
export const FORWARDER_FILE_NAME = "index.js";
export const FORWARDER_HANDLER = "index.handler";

export interface ForwarderBundle {
  /** Absolute path of the bundled file. */
  readonly file: string;
  readonly code: Buffer;
  /** Hex SHA-256 of the code. */
  readonly sha256: string;
}

let memoized: ForwarderBundle | undefined;

/**
 * Bundles the forwarder (memoized per process) into `.build/forwarder/<hash>/index.js`.
 * The folder is named by content and written by rename, so concurrent synths (parallel
 * tests, `cdktf synth` beside `npm run local`) never read a half-written file.
 */
export function bundleForwarder(): ForwarderBundle {
  if (memoized) return memoized;
  const result = buildSync({
    entryPoints: [FORWARDER_ENTRY],
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    minify: true,
    legalComments: "none",
    sourcemap: false,
    write: false,
    // Paths and timestamps stay out of the output so that two synths give the same bytes.
    absWorkingDir: PROJECT_ROOT,
    logLevel: "silent",
  });
  if (result.errors.length > 0) {
    throw new Error(`esbuild failed for ${FORWARDER_ENTRY}: ${result.errors.map((e) => e.text).join("; ")}`);
  }
  const code = Buffer.from(result.outputFiles[0].contents);
  const sha256 = createHash("sha256").update(code).digest("hex");
  const file = join(PROJECT_ROOT, ".build", "forwarder", sha256.slice(0, 16), FORWARDER_FILE_NAME);
  writeFileAtomically(file, code);
  memoized = { file, code, sha256 };
  return memoized;
}

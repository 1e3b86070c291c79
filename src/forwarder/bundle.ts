/**
 * The one bundling step for the Lambda forwarder: esbuild turns lambda/forwarder/
 * into a single minified CommonJS file for the Node.js 22 runtime. The stack, the
 * tests and the benchmark all use this, so they exercise the file Lambda gets.
 */
import { buildSync } from "esbuild";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

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

const bundles = new Map<string, ForwarderBundle>();

/** Bundles the forwarder into `outDir` (default `.build/forwarder`); memoized per process. */
export function bundleForwarder(outDir = join(PROJECT_ROOT, ".build", "forwarder")): ForwarderBundle {
  const cached = bundles.get(outDir);
  if (cached) return cached;
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, FORWARDER_FILE_NAME);
  const result = buildSync({
    entryPoints: [FORWARDER_ENTRY],
    outfile: file,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    minify: true,
    legalComments: "none",
    sourcemap: false,
    // Paths and timestamps stay out of the output so that two synths give the same bytes.
    absWorkingDir: PROJECT_ROOT,
    logLevel: "silent",
  });
  if (result.errors.length > 0) {
    throw new Error(`esbuild failed for ${FORWARDER_ENTRY}: ${result.errors.map((e) => e.text).join("; ")}`);
  }
  const code = readFileSync(file);
  const bundle = { file, code, sha256: createHash("sha256").update(code).digest("hex") };
  bundles.set(outDir, bundle);
  return bundle;
}

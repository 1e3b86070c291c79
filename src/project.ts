/**
 * Where the project's files are, for every part of it (stack, bundling, tools, tests):
 * the one place that knows how deep this file sits in the tree.
 */
import { join, resolve } from "node:path";

/** The folder holding package.json, main.ts and cdktf.json. */
export const PROJECT_ROOT = resolve(__dirname, "..");
/** Scratch output of the project's own steps (bundles, the Terraform CLI configuration, rehearsal files). */
export const BUILD_DIR = join(PROJECT_ROOT, ".build");
/** `cdktf synth`'s default output. */
export const CDKTF_OUT_DIR = join(PROJECT_ROOT, "cdktf.out");
/** The project's own cdktf CLI, as the ops team runs it. */
export const CDKTF_CLI = join(PROJECT_ROOT, "node_modules", ".bin", "cdktf");
/** The operators' CLI launcher. */
export const WEBHOOK_QUEUE_BIN = join(PROJECT_ROOT, "bin", "webhook-queue.js");

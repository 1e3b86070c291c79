#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx webhook-queue` needs no build step.
// The SDK's notice that its 2027 releases need Node 22 would precede every command's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
require("tsx/cjs");
require("../src/operations/cli/webhook-queue.ts").runFromCommandLine();

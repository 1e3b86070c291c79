import { App } from "cdktf";
import { emulator, mzDev } from "./src/environments";
import { WebhookQueueStack } from "./src/webhook-queue-stack";

const app = new App();
new WebhookQueueStack(app, mzDev);
new WebhookQueueStack(app, emulator());
app.synth();

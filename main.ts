import { App } from "cdktf";
import { emulator, mzDev } from "./src/infrastructure/environments";
import { WebhookQueueStack } from "./src/infrastructure/webhook-queue-stack";

const app = new App();
new WebhookQueueStack(app, mzDev);
new WebhookQueueStack(app, emulator());
app.synth();

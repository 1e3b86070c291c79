import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EMULATOR_SETTINGS_ENV, emulator, mergeSettings } from "../../../src/infrastructure/environments";
import { resolveSettings, WebhookQueueSettings } from "../../../src/infrastructure/settings";
import { rehearsalSettings } from "../../../src/operations/local/rehearsal";

const scratch = mkdtempSync(join(tmpdir(), "rehearsal-settings-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The emulator environment with the rehearsal's settings under `overlays`, resolved as the stack resolves them. */
function rehearsed(overlays: Partial<WebhookQueueSettings>) {
  const file = join(scratch, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(mergeSettings(rehearsalSettings(overlays), overlays)));
  return resolveSettings(emulator({ [EMULATOR_SETTINGS_ENV]: file }));
}

describe("the rehearsal's settings under the user's overlay", () => {
  test("short function timeout; a target may take most of it, batch by batch", () => {
    expect(rehearsed({})).toMatchObject({ functionTimeoutSeconds: 5, forwarder: { batchSize: 1, forwardTimeoutMs: 4500 } });
    expect(rehearsed({ forwarder: { batchSize: 10 } })).toMatchObject({
      functionTimeoutSeconds: 5,
      forwarder: { batchSize: 10, forwardTimeoutMs: 450 },
    });
  });

  test("the user's timeouts win, and stay consistent", () => {
    expect(rehearsed({ functionTimeoutSeconds: 20 })).toMatchObject({ functionTimeoutSeconds: 20, forwarder: { forwardTimeoutMs: 15_000 } });
    expect(rehearsed({ forwarder: { forwardTimeoutMs: 2000 } })).toMatchObject({ functionTimeoutSeconds: 5, forwarder: { forwardTimeoutMs: 2000 } });
  });
});

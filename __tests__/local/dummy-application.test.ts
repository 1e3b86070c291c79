/** The dummy application over HTTP: deliveries, and the "release in progress" switch. */
import { DummyApplication } from "../../src/local/dummy-application";

describe("DummyApplication", () => {
  const lines: string[] = [];
  const application = new DummyApplication({ onLine: (line) => lines.push(line) });
  beforeAll(() => application.start());
  afterAll(() => application.stop());

  const postHook = (body: string) => fetch(application.hookUrl("g1"), { method: "POST", headers: { "content-type": "application/json" }, body });
  const release = (body: string) => fetch(`${application.url}/_release`, { method: "POST", body });

  test("takes webhooks with 200, refuses them with 503 during a release, and prints each", async () => {
    expect((await postHook('{"n":1}')).status).toBe(200);
    expect(await (await release('{"inProgress":true}')).json()).toEqual({ inProgress: true });
    expect((await fetch(`${application.url}/_release`)).status).toBe(200);
    const refused = await postHook('{"n":2}');
    expect(refused.status).toBe(503);
    await release('{"inProgress":false}');
    expect((await postHook('{"n":3}')).status).toBe(200);

    expect(application.deliveries.map((d) => [d.group, d.body])).toEqual([
      ["g1", '{"n":1}'],
      ["g1", '{"n":3}'],
    ]);
    expect(application.attempts.map((a) => a.status)).toEqual([200, 503, 200]);
    expect(lines).toEqual([
      '#1 delivered group=g1 body={"n":1}',
      "release in progress: the webhook answers 503 until it ends",
      '#2 refused (503, release in progress) group=g1 body={"n":2}',
      "release done: the webhook answers 200 again",
      '#3 delivered group=g1 body={"n":3}',
    ]);
  });

  test("a malformed switch request is a 400; other paths are 404", async () => {
    expect((await release("yes")).status).toBe(400);
    expect((await fetch(`${application.url}/elsewhere`, { method: "POST" })).status).toBe(404);
  });
});

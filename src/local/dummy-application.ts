/**
 * The article's dummy application: `POST /application-hook` takes a webhook and answers
 * 200. A switch makes it answer 503 instead, as the real application does while a release
 * replaces its service ("release in progress").
 */
import { IncomingMessage } from "node:http";
import { JsonAnswer, LoopbackServer, serveJson } from "./http-server";

export const APPLICATION_HOOK_PATH = "/application-hook";
/** `POST {"inProgress": true|false}` flips the switch; `GET` reads it. */
export const RELEASE_SWITCH_PATH = "/_release";

export interface Delivery {
  /** 1, 2, ... in arrival order. */
  readonly number: number;
  /** The message group, as named in the forwarder's route URL (`?group=`). */
  readonly group?: string;
  readonly body: string;
  /** 200 delivered, 503 refused during a release. */
  readonly status: number;
}

export interface DummyApplicationOptions {
  /** @default a free port */
  readonly port?: number;
  /** One line per request and per switch change. */
  readonly onLine?: (line: string) => void;
}

export class DummyApplication {
  /** Every request to the hook, delivered or refused. */
  public readonly attempts: Delivery[] = [];
  private releaseInProgress = false;
  private server?: LoopbackServer;

  constructor(private readonly options: DummyApplicationOptions = {}) {}

  /** e.g. http://127.0.0.1:41234 (once started) */
  get url(): string {
    if (!this.server) throw new Error("the dummy application is not running");
    return this.server.url;
  }

  /** The URL the forwarder posts a group's webhooks to. */
  hookUrl(group: string): string {
    return `${this.url}${APPLICATION_HOOK_PATH}?group=${encodeURIComponent(group)}`;
  }

  /** The webhooks answered 200, in arrival order. */
  get deliveries(): Delivery[] {
    return this.attempts.filter((attempt) => attempt.status === 200);
  }

  get inRelease(): boolean {
    return this.releaseInProgress;
  }

  setReleaseInProgress(inProgress: boolean): void {
    if (inProgress === this.releaseInProgress) return;
    this.releaseInProgress = inProgress;
    this.options.onLine?.(
      inProgress ? "release in progress: the webhook answers 503 until it ends" : "release done: the webhook answers 200 again",
    );
  }

  async start(): Promise<void> {
    this.server = await serveJson((request, url, body) => this.handle(request, url, body), this.options.port);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.stop();
  }

  private async handle(request: IncomingMessage, url: URL, body: string): Promise<JsonAnswer> {
    if (url.pathname === APPLICATION_HOOK_PATH && request.method === "POST") {
      const status = this.releaseInProgress ? 503 : 200;
      const attempt: Delivery = { number: this.attempts.length + 1, group: url.searchParams.get("group") ?? undefined, body, status };
      this.attempts.push(attempt);
      const what = status === 200 ? "delivered" : "refused (503, release in progress)";
      this.options.onLine?.(`#${attempt.number} ${what} group=${attempt.group ?? "-"} body=${body}`);
      return { status, body: status === 200 ? { message: "ok" } : { message: "Service Unavailable: release in progress" } };
    }
    if (url.pathname === RELEASE_SWITCH_PATH && request.method === "POST") {
      let inProgress: unknown;
      try {
        inProgress = (JSON.parse(body) as { inProgress?: unknown }).inProgress;
      } catch {
        inProgress = undefined;
      }
      if (typeof inProgress !== "boolean") return { status: 400, body: { message: 'expected {"inProgress": true} or {"inProgress": false}' } };
      this.setReleaseInProgress(inProgress);
      return { status: 200, body: { inProgress: this.releaseInProgress } };
    }
    if (url.pathname === RELEASE_SWITCH_PATH && request.method === "GET") {
      return { status: 200, body: { inProgress: this.releaseInProgress } };
    }
    return { status: 404, body: { message: "Not Found" } };
  }
}

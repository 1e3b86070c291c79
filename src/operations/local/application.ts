/**
 * The dummy application as the rehearsal runs it: the stack's own Lambda (the bundled
 * lambda/webhook-application) behind its route on the local gateway. What it received is
 * read from its log, the way an operator reads CloudWatch; a release switch makes its
 * route answer 503, as the application does while a release replaces it.
 */
import { LocalGateway } from "./gateway/server";

export interface Delivery {
  /** 1, 2, ... in arrival order. */
  readonly number: number;
  /** API Gateway's request ID. */
  readonly requestId: string;
  /** The source the forwarder named (`x-webhook-source`). */
  readonly source?: string;
  /** The webhook's stable ID the forwarder sent (`webhook-id`). */
  readonly webhookId?: string;
  /** Whether the forwarder signed the request (`webhook-signature` present). */
  readonly signed: boolean;
  readonly body: string;
}

interface LogEntry {
  readonly level?: string;
  readonly message?: string;
  readonly requestId?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signed?: boolean;
  readonly body?: string;
}

export interface RehearsalApplicationOptions {
  /** The application's route, e.g. "POST /application-hook". */
  readonly routeKey: string;
  /** One line per switch change (and per delivery, without onDelivery). */
  readonly onLine?: (line: string) => void;
  /** One line per delivery: what it received (source, webhook ID, body). */
  readonly onDelivery?: (line: string, delivery: Delivery) => void;
}

export class RehearsalApplication {
  /** Every request the function logged the body of, in arrival order. */
  public readonly deliveries: Delivery[] = [];
  private readonly received = new Map<string, LogEntry>();
  private releaseInProgress = false;
  private refused?: (body: string) => boolean;
  private gateway?: LocalGateway;

  constructor(private readonly options: RehearsalApplicationOptions) {}

  /** The gateway the application's route is served on (started after the application's sandboxes, which log here). */
  servedBy(gateway: LocalGateway): this {
    this.gateway = gateway;
    return this;
  }

  /** The webhook URL on the local gateway. */
  get url(): string {
    if (!this.gateway) throw new Error("the application is not served by a gateway yet");
    return `${this.gateway.url}${this.options.routeKey.split(" ")[1]}`;
  }

  get inRelease(): boolean {
    return this.releaseInProgress;
  }

  setReleaseInProgress(inProgress: boolean): void {
    if (inProgress === this.releaseInProgress) return;
    this.releaseInProgress = inProgress;
    this.applyUnavailable();
    this.options.onLine?.(inProgress ? "release in progress: the webhook answers 503 until it ends" : "release done: the webhook answers 200 again");
  }

  /** Makes the webhook answer 503 to the webhooks `refused` picks (a bug in the application), until called with undefined (the fix). */
  refuse(refused: ((body: string) => boolean) | undefined, why: string): void {
    this.refused = refused;
    this.applyUnavailable();
    this.options.onLine?.(why);
  }

  private applyUnavailable(): void {
    const refused = this.refused;
    this.gateway?.setUnavailable(this.options.routeKey, this.releaseInProgress || (refused ? (body) => refused(body.toString("utf8")) : false));
  }

  /**
   * Takes one line of the function's log: "webhook received" (INFO, with the headers) and
   * "webhook body" (DEBUG) of one request make one delivery.
   */
  readLogLine(line: string): void {
    let entry: LogEntry;
    try {
      entry = JSON.parse(line) as LogEntry;
    } catch {
      return;
    }
    if (!entry.requestId) return;
    if (entry.message === "webhook received") this.received.set(entry.requestId, entry);
    if (entry.message !== "webhook body" || typeof entry.body !== "string") return;
    const received = this.received.get(entry.requestId);
    const headers = received?.headers ?? {};
    this.received.delete(entry.requestId);
    const delivery: Delivery = {
      number: this.deliveries.length + 1,
      requestId: entry.requestId,
      source: headers["x-webhook-source"],
      webhookId: headers["webhook-id"],
      signed: received?.signed === true,
      body: entry.body,
    };
    this.deliveries.push(delivery);
    const said = `#${delivery.number} delivered source=${delivery.source ?? "-"} webhook-id=${delivery.webhookId ?? "-"} body=${delivery.body}`;
    if (this.options.onDelivery) this.options.onDelivery(said, delivery);
    else this.options.onLine?.(said);
  }
}

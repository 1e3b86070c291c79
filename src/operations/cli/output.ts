/** How results are shown: a text table for people, one JSON document for scripts. */
import { terminalSafe } from "../shared/terminal-safe";
import { QueueMessage, bodyPreview, groupInReceiveOrder } from "./messages";

/** What a command hands back: the entry prints `text` or `document` and exits with `exitCode`. */
export interface CommandResult {
  readonly document: Record<string, unknown>;
  readonly text: string;
  readonly exitCode: number;
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column])))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

/** 0s, 42s, 3m 05s, 2h 07m, 3d 04h */
export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  return `${Math.floor(s / 86400)}d ${String(Math.floor((s % 86400) / 3600)).padStart(2, "0")}h`;
}

export const BODY_PREVIEW_CHARS = 120;

/**
 * One row per message, a group's messages together in FIFO order, with why it is there (quarantined,
 * or dead-lettered: its retry budget spent, or held behind an earlier dead letter of its group);
 * bodies cut to `bodyChars` (0: whole). What a request can shape is shown terminal-safe.
 */
export function messageTable(messages: readonly QueueMessage[], bodyChars: number): string {
  const rows = groupInReceiveOrder(messages).flatMap((group) =>
    group.messages.map((m) => [
      ...[m.source ?? "-", m.groupId, m.webhookId ?? "-", m.messageId, String(m.receiveCount), m.sentAt, reasonOf(m)].map(terminalSafe),
      bodyPreview(m.body, bodyChars),
    ]),
  );
  return formatTable(["SOURCE", "GROUP", "WEBHOOK ID", "MESSAGE ID", "RECEIVES", "SENT", "QUARANTINED / DEAD-LETTERED", "BODY"], rows);
}

function reasonOf(message: QueueMessage): string {
  if (message.quarantineReason !== undefined) return message.quarantineReason;
  return message.deadLetterReason !== undefined ? `dead-lettered: ${message.deadLetterReason}` : "-";
}

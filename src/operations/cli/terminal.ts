/**
 * The operator's side of a run: notes and progress on stderr, the confirmation prompt,
 * and Ctrl-C, which asks a command to stop at a safe point instead of dying mid-move.
 */
import { createInterface } from "node:readline";
import { EXIT_INTERRUPTED } from "../shared/exit-codes";
import { safeLines, terminalSafe } from "../shared/terminal-safe";

/**
 * Everything this module writes is escaped (../shared/terminal-safe.ts): a note or a question may
 * carry what a message, a file or an AWS answer holds.
 */
export function note(text: string): void {
  process.stderr.write(`${safeLines(text)}\n`);
}

/** One progress line: rewritten in place on a terminal, one line each otherwise (logs, tests). */
export function progress(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${terminalSafe(text)}`);
  else process.stderr.write(`${terminalSafe(text)}\n`);
}

export function endProgress(): void {
  if (process.stderr.isTTY) process.stderr.write("\n");
}

export function canAsk(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

export async function confirm(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await new Promise<string>((resolveAnswer) => {
      prompt.once("SIGINT", () => resolveAnswer("")); // Ctrl-C at the prompt means no
      prompt.question(`${safeLines(question)} [y/N] `, resolveAnswer);
    });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    prompt.close();
  }
}

export interface Interrupts {
  /** True once SIGINT or SIGTERM arrived. */
  readonly requested: () => boolean;
  dispose(): void;
}

/** The first SIGINT/SIGTERM asks to stop at a safe point; a second one exits at once. */
export function watchInterrupts(): Interrupts {
  let requested = false;
  const onSignal = () => {
    if (requested) process.exit(EXIT_INTERRUPTED);
    requested = true;
    note("stopping at the next safe point (signal again to quit now; held messages come back after their visibility timeout)");
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    requested: () => requested,
    dispose() {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}

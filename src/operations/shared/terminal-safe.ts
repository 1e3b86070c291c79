/**
 * Text from a message (body, attributes, group ID: anyone on the internet shapes them through the
 * webhook route) shown on an operator's terminal: every character a terminal acts on instead of
 * showing is printed escaped, so a forged body cannot move the cursor, erase a line ("\r",
 * ESC [ 2 K), recolour it, or reorder it with bidirectional controls.
 */

/** C0 controls, DEL, C1 controls (e.g. the one-byte CSI U+009B), bidi controls, line and paragraph separators. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;

/** What JSON.stringify leaves raw among UNSAFE: all but C0 (which it escapes itself). */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;

const NAMED: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

const hex = (char: string, digits: number) => char.charCodeAt(0).toString(16).padStart(digits, "0");

/** `text` with every control shown escaped: `\n`, `\r`, `\t`, `\x1b`, `\xHH` (C0, DEL), `\u009b`, `\u202e` (C1, bidi, separators). Backslashes stay as they are. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (char) => NAMED[char] ?? (char <= "\u007f" ? `\\x${hex(char, 2)}` : `\\u${hex(char, 4)}`));
}

/** JSON.stringify(value, null, space) with the controls it leaves raw inside strings escaped as \uXXXX: still valid JSON, the same value. */
export function terminalSafeJson(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(UNSAFE_IN_JSON, (char) => `\\u${hex(char, 4)}`);
}

/** Text on one line, every control escaped (terminalSafe), cut to `maxChars` with "…" (0: no limit). */
export function bodyPreview(text: string, maxChars: number): string {
  const oneLine = terminalSafe(text);
  return maxChars > 0 && oneLine.length > maxChars ? `${oneLine.slice(0, maxChars - 1)}…` : oneLine;
}

/** Text of several lines for a terminal: each line escaped (terminalSafe), the line breaks kept. */
export function safeLines(text: string): string {
  return text.split("\n").map(terminalSafe).join("\n");
}

/** Message text on an operator's terminal: every control shown escaped, JSON still the same value. */
import { terminalSafe, terminalSafeJson } from "../../../src/operations/shared/terminal-safe";

/** One of each class a terminal acts on, as a forged webhook would carry them. */
const FORGED = "ok\r\x1b[2K\x1b[31msignature mismatch\x1b[0m\u009b2K\u202egnp.exe\u2066\u2069\u2028\u2029\x7f\x00\x07\tend\n";

test("C0 controls: \\n, \\r, \\t by name, ESC and the others as \\xHH", () => {
  expect(terminalSafe("a\nb\rc\td")).toBe("a\\nb\\rc\\td");
  expect(terminalSafe("\x1b[2K")).toBe("\\x1b[2K");
  expect(terminalSafe("\x00\x01\x07\x08\x0b\x0c\x1f")).toBe("\\x00\\x01\\x07\\x08\\x0b\\x0c\\x1f");
});

test("DEL as \\x7f, C1 controls (the one-byte CSI) as \\u0080..\\u009f", () => {
  expect(terminalSafe("\x7f")).toBe("\\x7f");
  expect(terminalSafe("\u0080\u0085\u009b2K\u009f")).toBe("\\u0080\\u0085\\u009b2K\\u009f");
});

test("bidirectional controls and the line and paragraph separators as \\uXXXX", () => {
  const bidi = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029";
  expect(terminalSafe(bidi)).toBe("\\u061c\\u200e\\u200f\\u202a\\u202b\\u202c\\u202d\\u202e\\u2066\\u2067\\u2068\\u2069\\u2028\\u2029");
});

test("printable text, backslashes and other scripts stay as they are", () => {
  const plain = 'caf\u00e9 \u2713 \u0627\u0644\u0633\u0644\u0627\u0645 {"a":"b\\\\n"} \u00a0\u00ff \ud83d\ude00';
  expect(terminalSafe(plain)).toBe(plain);
  expect(terminalSafe("C:\\x1b\\n")).toBe("C:\\x1b\\n");
});

test("nothing a terminal acts on is left in the escaped text", () => {
  // eslint-disable-next-line no-control-regex
  expect(terminalSafe(FORGED)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/);
  expect(terminalSafe(FORGED)).toBe(
    "ok\\r\\x1b[2K\\x1b[31msignature mismatch\\x1b[0m\\u009b2K\\u202egnp.exe\\u2066\\u2069\\u2028\\u2029\\x7f\\x00\\x07\\tend\\n",
  );
});

test("terminalSafeJson: valid JSON of the same value, with no raw control in it, keys included", () => {
  const value = { body: FORGED, [`key\u202e\u009b`]: [FORGED, 1, null, { nested: "\u2028" }], plain: "caf\u00e9 \\ \u2713" };
  for (const space of [undefined, 2]) {
    const json = terminalSafeJson(value, space);
    expect(JSON.parse(json)).toEqual(value);
    // eslint-disable-next-line no-control-regex
    expect(json.replace(/\n {0,}/g, "")).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/);
    expect(json).toContain("\\u009b");
    expect(json).toContain("\\u202e");
    expect(json).toContain("\\u007f");
  }
  expect(terminalSafeJson({ a: "b" }, 2)).toBe(JSON.stringify({ a: "b" }, null, 2));
});

/**
 * The Terraform expressions a synthesized stack holds in its JSON strings, evaluated the way
 * Terraform would for the local rehearsal: attribute references (`aws_sqs_queue.x.url`) and
 * `jsonencode(...)` of literals and references, as cdktf writes them (`Fn.jsonencode`). Anything
 * else is refused with the expression in the message.
 */

/** A reference's value: `type.name.attribute` or `data.type.name.attribute`. */
export type ReferenceLookup = (expression: string) => string | number | boolean;

type Value = string | number | boolean | null | Value[] | { [key: string]: Value };

/** A Terraform template string (`"q=${aws_sqs_queue.x.url}"`) with each `${...}` evaluated; `$${` is a literal `${`. */
export function evaluateTemplate(template: string, lookup: ReferenceLookup): string {
  const parser = new Parser(template, lookup);
  return parser.templateUntil(undefined);
}

/** Terraform's `jsonencode`: object keys sorted, `<`, `>`, `&`, U+2028 and U+2029 escaped as `\uXXXX`. */
export function terraformJsonencode(value: Value): string {
  if (Array.isArray(value)) return `[${value.map(terraformJsonencode).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${encodeString(key)}:${terraformJsonencode(value[key])}`).join(",")}}`;
  }
  return typeof value === "string" ? encodeString(value) : JSON.stringify(value);
}

function encodeString(text: string): string {
  return JSON.stringify(text).replace(/[<>&\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

const FUNCTIONS: Readonly<Record<string, (value: Value) => Value>> = { jsonencode: terraformJsonencode };
const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_-]*/y;
const NUMBER = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;
const REFERENCE = /^(data\.)?[a-z0-9]+_[a-z0-9_]+\.[A-Za-z0-9_-]+\.[a-z0-9_]+$/;

class Parser {
  private position = 0;

  constructor(
    private readonly text: string,
    private readonly lookup: ReferenceLookup,
  ) {}

  /** Literal text and `${...}` interpolations up to `end` (a closing quote), or to the end of the text. */
  templateUntil(end: '"' | undefined): string {
    let result = "";
    while (this.position < this.text.length) {
      const char = this.text[this.position];
      if (end !== undefined && char === end) return result;
      if (this.text.startsWith("$${", this.position) || this.text.startsWith("%%{", this.position)) {
        result += `${char}{`;
        this.position += 3;
      } else if (this.text.startsWith("${", this.position)) {
        this.position += 2;
        const value = this.expression();
        this.skipSpace();
        this.expect("}");
        result += stringOf(value, this.text);
      } else if (end !== undefined && char === "\\") {
        result += this.escape();
      } else {
        result += char;
        this.position += 1;
      }
    }
    if (end !== undefined) this.fail("an unterminated string");
    return result;
  }

  private expression(): Value {
    this.skipSpace();
    const char = this.text[this.position];
    if (char === '"') {
      this.position += 1;
      const value = this.templateUntil('"');
      this.position += 1;
      return value;
    }
    if (char === "{") return this.object();
    if (char === "[") return this.tuple();
    NUMBER.lastIndex = this.position;
    const number = NUMBER.exec(this.text);
    if (number) {
      this.position += number[0].length;
      return Number(number[0]);
    }
    const name = this.traversal();
    if (name === "true" || name === "false") return name === "true";
    if (name === "null") return null;
    this.skipSpace();
    if (this.text[this.position] === "(") {
      const fn = FUNCTIONS[name];
      if (!fn) this.fail(`the function ${name}() (only ${Object.keys(FUNCTIONS).join(", ")} is evaluated here)`);
      this.position += 1;
      const argument = this.expression();
      this.skipSpace();
      this.expect(")");
      return fn(argument);
    }
    if (!REFERENCE.test(name)) this.fail(`${name}: only resource attribute references are supported`);
    return this.lookup(name);
  }

  private object(): Value {
    this.expect("{");
    const result: Record<string, Value> = {};
    for (;;) {
      this.skipSpace(true);
      if (this.text[this.position] === "}") {
        this.position += 1;
        return result;
      }
      const key = this.text[this.position] === '"' ? stringOf(this.expression(), this.text) : this.traversal();
      this.skipSpace();
      if (this.text[this.position] === "=" || this.text[this.position] === ":") this.position += 1;
      else this.fail(`"=" after the key ${JSON.stringify(key)}`);
      result[key] = this.expression();
    }
  }

  private tuple(): Value {
    this.expect("[");
    const result: Value[] = [];
    for (;;) {
      this.skipSpace(true);
      if (this.text[this.position] === "]") {
        this.position += 1;
        return result;
      }
      result.push(this.expression());
    }
  }

  /** An identifier with its `.attribute` steps: `aws_sqs_queue.webhook_queue.url`, `jsonencode`, `true`. */
  private traversal(): string {
    const parts: string[] = [];
    do {
      IDENTIFIER.lastIndex = this.position;
      const match = IDENTIFIER.exec(this.text);
      if (!match) this.fail("an expression");
      parts.push(match[0]);
      this.position += match[0].length;
    } while (this.text[this.position] === "." && (this.position += 1));
    return parts.join(".");
  }

  private escape(): string {
    const next = this.text[this.position + 1];
    const simple: Record<string, string> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" };
    if (next in simple) {
      this.position += 2;
      return simple[next];
    }
    if (next === "u" && /^[0-9A-Fa-f]{4}$/.test(this.text.slice(this.position + 2, this.position + 6))) {
      const char = String.fromCharCode(parseInt(this.text.slice(this.position + 2, this.position + 6), 16));
      this.position += 6;
      return char;
    }
    return this.fail(`a known escape sequence, not \\${next}`);
  }

  /** Blanks; with `separators`, the commas and newlines between the items of an object or a tuple too. */
  private skipSpace(separators = false): void {
    while (this.position < this.text.length && (separators ? /[\s,]/ : /[ \t]/).test(this.text[this.position])) this.position += 1;
  }

  private expect(char: string): void {
    if (this.text[this.position] !== char) this.fail(`"${char}"`);
    this.position += 1;
  }

  private fail(expected: string): never {
    throw new Error(`cannot evaluate ${JSON.stringify(this.text)} at character ${this.position}: expected ${expected}`);
  }
}

function stringOf(value: Value, whole: string): string {
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return String(value);
  throw new Error(`cannot evaluate ${JSON.stringify(whole)}: a ${value === null ? "null" : "collection"} where a string belongs`);
}

/**
 * Where the project's local parts listen: plain HTTP on this machine, with a port. Whatever
 * names an address for them (a setting, a file another process wrote) is checked against it
 * before anything is sent there.
 */

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(["127.0.0.1", "localhost"]);

/** `http://127.0.0.1:<port>` or `http://localhost:<port>`, with a path when `path` allows it (no credentials, query or fragment). */
export function isLoopbackUrl(text: unknown, { path = false }: { readonly path?: boolean } = {}): text is string {
  if (typeof text !== "string" || !URL.canParse(text)) return false;
  const url = new URL(text);
  const plain = url.username === "" && url.password === "" && url.search === "" && url.hash === "";
  const rest = text.slice(url.origin.length);
  return (
    url.protocol === "http:" &&
    LOOPBACK_HOSTS.has(url.hostname) &&
    url.port !== "" &&
    plain &&
    text.startsWith(url.origin) &&
    (path ? rest === "" || (rest.startsWith("/") && url.pathname === rest) : rest === "" || rest === "/")
  );
}

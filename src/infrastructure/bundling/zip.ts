/**
 * A zip archive with fixed timestamps and permissions (fflate): the same input bytes always
 * give the same archive bytes, so `source_code_hash` only changes when the code does.
 */
import { Zippable, zipSync } from "fflate";

export interface ZipEntry {
  readonly name: string;
  readonly data: Buffer;
}

/** 1980-01-01 00:00:00 in local time, which is what a zip's DOS date holds: the same in every time zone. */
const EPOCH = new Date(1980, 0, 1, 0, 0, 0);
/** Made by Unix, a regular file -rw-r--r-- (in the high 16 bits of the external attributes). */
const UNIX = { os: 3, attrs: (0o100644 << 16) >>> 0 };

export function deterministicZip(entries: readonly ZipEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: Zippable = {};
  for (const entry of sorted) files[entry.name] = [new Uint8Array(entry.data), { ...UNIX, mtime: EPOCH, level: 9 }];
  return Buffer.from(zipSync(files));
}

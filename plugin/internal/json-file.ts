/** Reading the JSON files the plugin keeps (devnet connection info, approvals): absent, valid or refused. */
import { readFile } from "node:fs/promises";
import type { z } from "zod";
import { ShardlessPluginError } from "./errors.js";

/**
 * The file's content checked against `schema`; undefined when the file does not exist. Anything else
 * (unreadable, not JSON, wrong shape) is BAD_ARGUMENT with `invalid` (what the file should be, and what to do).
 */
export async function readJsonFile<T extends z.ZodTypeAny>(
  file: string,
  schema: T,
  invalid: string,
): Promise<z.infer<T> | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    throw new ShardlessPluginError("BAD_ARGUMENT", `Cannot read ${file} (${code ?? (err as Error).name}).`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new ShardlessPluginError("BAD_ARGUMENT", `${file} ${invalid}`);
  return parsed.data;
}

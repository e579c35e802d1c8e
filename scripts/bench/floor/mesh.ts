/**
 * The stack floor of online ECDSA signing: `n` member processes (floor/member.ts) running the node's
 * message pattern (HTTP request → invites → echoes among the non-combiners beside one durable write →
 * shares → one ECDSA check → HTTP answer) over the node's own transport, frames and authenticator, with
 * none of the node's logic. What the node adds on top of it is the node's own cost.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { randomBytes } from "node:crypto";

export interface FloorMesh {
  /** One signing round trip through member 1's HTTP endpoint. */
  sign(): Promise<void>;
  stop(): Promise<void>;
}

interface Hello {
  peerId: string;
  multiaddrs: string[];
  apiPort: number;
}

const MEMBER = path.join(import.meta.dirname, "member.ts");

export async function startFloorMesh(
  n: number,
  opts: { without?: readonly string[] } = {},
): Promise<FloorMesh> {
  const dir = await mkdtemp(path.join(tmpdir(), "shardless-bench-floor-"));
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            const timer = setTimeout(() => c.kill("SIGKILL"), 5_000);
            c.once("exit", () => {
              clearTimeout(timer);
              resolve();
            });
            c.stdin!.end();
          }),
      ),
    );
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const lines: AsyncIterator<string>[] = [];
    for (let i = 1; i <= n; i++) {
      const args = ["--import", "tsx", MEMBER, "--index", String(i), "--members", String(n), "--dir", dir];
      args.push("--without", (opts.without ?? []).join(","));
      const child = spawn(process.execPath, args, {
        stdio: ["pipe", "pipe", "inherit"],
      });
      children.push(child);
      lines.push(createInterface({ input: child.stdout! })[Symbol.asyncIterator]());
    }
    const next = async (i: number) => {
      const { value, done } = await lines[i].next();
      if (done) throw new Error(`floor member ${i + 1} exited`);
      return value as string;
    };
    const hellos: Hello[] = [];
    for (let i = 0; i < n; i++) hellos.push(JSON.parse(await next(i)) as Hello);
    const book = JSON.stringify(
      hellos.map((h, i) => ({ index: i + 1, peerId: h.peerId, multiaddrs: h.multiaddrs })),
    );
    for (const c of children) c.stdin!.write(book + "\n");
    for (let i = 0; i < n; i++)
      if ((await next(i)) !== "ready") throw new Error(`floor member ${i + 1} not ready`);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const sign = () =>
      new Promise<void>((resolve, reject) => {
        const body = JSON.stringify({ digest: `0x${randomBytes(32).toString("hex")}` });
        const req = http.request(
          {
            host: "127.0.0.1",
            port: hellos[0].apiPort,
            method: "POST",
            path: "/sign",
            agent,
            headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () =>
              res.statusCode === 200 ? resolve() : reject(new Error(Buffer.concat(chunks).toString())),
            );
          },
        );
        req.setTimeout(10_000, () => req.destroy(new Error("floor: member 1 did not answer in 10 s")));
        req.on("error", reject);
        req.end(body);
      });
    return {
      sign,
      stop: async () => {
        agent.destroy();
        await stop();
      },
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Logger (JSON, levels, redaction safety net) and the Prometheus metrics of the node. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import {
  createLogger,
  createMetrics,
  REDACTED_FIELDS,
  REDACTION_CENSOR,
} from "../../node/observability/index.js";
import type { Logger } from "../../node/runner/ports.js";

function capture() {
  const lines: string[] = [];
  let buffer = "";
  const destination = new Writable({
    write(chunk, _enc, cb) {
      buffer += chunk.toString();
      const parts = buffer.split("\n");
      buffer = parts.pop() ?? "";
      lines.push(...parts);
      cb();
    },
  });
  return { destination, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe("logger", () => {
  it("writes one JSON object per line with level label, message, bindings; filters by level", () => {
    const out = capture();
    const log: Logger = createLogger({
      level: "info",
      bindings: { member: 2 },
      destination: out.destination,
    });
    log.debug({ a: 1 }, "hidden");
    log.info({ session: "ab12" }, "session started");
    log.child({ protocol: "frost" }).warn({ round: 2 }, "slow");
    const [first, second] = out.records();
    assert.equal(out.lines.length, 2);
    assert.deepEqual(
      [first.level, first.msg, first.member, first.session],
      ["info", "session started", 2, "ab12"],
    );
    assert.deepEqual([second.level, second.protocol, second.round], ["warn", "frost", 2]);
    assert.match(String(first.time), /^\d{4}-\d\d-\d\dT/);
  });

  it("redacts secret-looking fields at any depth, in arrays and in child bindings", () => {
    const out = capture();
    const log = createLogger({ level: "debug", destination: out.destination });
    const secrets = REDACTED_FIELDS.map((f, i) => `SECRET-VALUE-${i}-${f}`);
    const flat = Object.fromEntries(REDACTED_FIELDS.map((f, i) => [f, secrets[i]]));
    log.info(flat, "top level");
    log.info({ request: flat }, "one level down");
    log.info({ a: { b: { c: flat } } }, "three levels down");
    log.info({ list: [flat, flat] }, "in an array");
    log.child({ token: "SECRET-BINDING" }).error({ share: Uint8Array.of(1, 2, 3) }, "child");
    const text = out.lines.join("\n");
    for (const s of [...secrets, "SECRET-BINDING"]) assert.ok(!text.includes(s), `${s} leaked`);
    assert.ok(!text.includes('"0":1'), "byte arrays under a secret name are not serialised");
    const records = out.records();
    assert.equal(records[0].privateKey, REDACTION_CENSOR);
    assert.equal((records[1].request as Record<string, unknown>).nonce, REDACTION_CENSOR);
    assert.equal(records[4].token, REDACTION_CENSOR);
    // Ordinary fields are untouched.
    log.info({ keyId: "k1", epoch: 3 }, "plain");
    assert.deepEqual([out.records().at(-1)!.keyId, out.records().at(-1)!.epoch], ["k1", 3]);
  });
});

describe("metrics", () => {
  it("exposes sessions, latency histograms, aborts by reason and culprit, peers, pool depth, mesh counters", async () => {
    const m = createMetrics();
    m.recordSession("ecdsa-sign", "ok", 0.004);
    m.recordSession("ecdsa-sign", "ok", 0.0045);
    m.recordSession("dkg", "abort", 1.2);
    m.recordAbort("dkg", "PROTOCOL_ABORT", [3, 1, 3]);
    m.recordAbort("frost-sign", "ROUND_TIMEOUT", []);
    m.setPresignPoolDepth("k1", 12);
    m.recordApiRequest("/v1/keys/:id/sign", 200, 0.005);
    m.mesh.peersConnected(4);
    m.mesh.frameRejected("oversized", "in");
    m.mesh.connectionDenied("inbound");
    const text = await m.expose();
    const has = (line: string) => assert.ok(text.includes(line), `missing: ${line}`);
    has('shardless_sessions_total{protocol="ecdsa-sign",outcome="ok"} 2');
    has('shardless_sessions_total{protocol="dkg",outcome="abort"} 1');
    has('shardless_session_duration_seconds_bucket{le="0.005",protocol="ecdsa-sign",outcome="ok"} 2');
    has('shardless_session_duration_seconds_bucket{le="0.003",protocol="ecdsa-sign",outcome="ok"} 0');
    has('shardless_session_duration_seconds_count{protocol="ecdsa-sign",outcome="ok"} 2');
    has('shardless_aborts_total{protocol="dkg",reason="PROTOCOL_ABORT",culprit="1"} 1');
    has('shardless_aborts_total{protocol="dkg",reason="PROTOCOL_ABORT",culprit="3"} 1');
    has('shardless_aborts_total{protocol="frost-sign",reason="ROUND_TIMEOUT",culprit="none"} 1');
    has("shardless_peers_connected 4");
    has('shardless_presign_pool_depth{key="k1"} 12');
    has('shardless_frames_rejected_total{reason="oversized",direction="in"} 1');
    has('shardless_connections_denied_total{direction="inbound"} 1');
    has('shardless_api_requests_total{route="/v1/keys/:id/sign",status="200"} 1');
    assert.match(m.contentType, /^text\/plain/);
  });

  it("each node has its own registry (several nodes per process)", async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.mesh.peersConnected(2);
    b.mesh.peersConnected(5);
    assert.ok((await a.expose()).includes("shardless_peers_connected 2"));
    assert.ok((await b.expose()).includes("shardless_peers_connected 5"));
    const withDefaults = createMetrics({ collectDefault: true, prefix: "x_" });
    assert.ok((await withDefaults.expose()).includes("x_process_cpu_user_seconds_total"));
  });
});

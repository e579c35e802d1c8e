import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import {
  ConsumedError,
  DecodeError,
  EquivocationError,
  InvalidMessageError,
  ParameterError,
  PolicyError,
  ProtocolAbortError,
  RoundTimeoutError,
  VerificationError,
} from "../../../node/protocol/errors.js";
import { ApiServer } from "../../../node/adapters/api/server.js";
import { NotFoundError, UnavailableError } from "../../../node/adapters/api/errors.js";
import { FakeNodeServices, startFakeApi, type FakeApi } from "../../helpers/api-fake-services.js";
import { raw, recordingLogger } from "../../helpers/api-http.js";

const DIGEST = "0x" + "cd".repeat(32);

describe("API error mapping", () => {
  let api: FakeApi;
  const logger = recordingLogger();
  let keyId: string;
  before(async () => {
    api = await startFakeApi({ logger });
    keyId = (await api.client.keygen("1", "ecdsa", 1)).keyId;
  });
  after(() => api.stop());

  let n = 0;
  const signWith = async (error: unknown) => {
    api.services.failNext("sign", error);
    return raw(api.url, "POST", `/v1/keys/${keyId}/sign`, {
      token: api.token,
      body: { requestId: `err-${n++}`, kind: "digest", digest: DIGEST },
    });
  };

  const table: {
    name: string;
    error: unknown;
    status: number;
    code: string;
    culprits?: number[];
    details?: object;
  }[] = [
    {
      name: "ParameterError",
      error: new ParameterError("bad"),
      status: 400,
      code: "BAD_REQUEST",
      details: { reason: "PARAMETER" },
    },
    { name: "DecodeError", error: new DecodeError("bad bytes"), status: 400, code: "BAD_REQUEST" },
    { name: "NotFoundError", error: new NotFoundError("no key"), status: 404, code: "NOT_FOUND" },
    { name: "PolicyError", error: new PolicyError("approvals missing"), status: 403, code: "POLICY" },
    {
      name: "UnavailableError",
      error: new UnavailableError("too few online", 2, 3),
      status: 503,
      code: "UNAVAILABLE",
      details: { online: 2, needed: 3 },
    },
    {
      name: "ProtocolAbortError with culprits",
      error: new ProtocolAbortError("share failed its proof", [3, 1]),
      status: 502,
      code: "PROTOCOL_ABORT",
      culprits: [1, 3],
    },
    {
      name: "EquivocationError",
      error: new EquivocationError(2),
      status: 502,
      code: "PROTOCOL_ABORT",
      culprits: [2],
      details: { reason: "EQUIVOCATION" },
    },
    {
      name: "InvalidMessageError",
      error: new InvalidMessageError(4, "bad proof"),
      status: 502,
      code: "PROTOCOL_ABORT",
      culprits: [4],
    },
    {
      name: "VerificationError",
      error: new VerificationError("combined signature invalid"),
      status: 502,
      code: "PROTOCOL_ABORT",
      details: { reason: "VERIFICATION" },
    },
    {
      name: "ConsumedError",
      error: new ConsumedError("presignature used"),
      status: 502,
      code: "PROTOCOL_ABORT",
      details: { reason: "CONSUMED" },
    },
    {
      name: "RoundTimeoutError",
      error: new RoundTimeoutError("sign/1", [2, 5]),
      status: 504,
      code: "TIMEOUT",
      details: { missing: [2, 5], round: "sign/1", reason: "ROUND_TIMEOUT" },
    },
  ];

  for (const c of table) {
    it(`${c.name} → ${c.status} ${c.code}`, async () => {
      const r = await signWith(c.error);
      assert.equal(r.status, c.status, r.text);
      assert.equal(r.json.error.code, c.code);
      assert.equal(typeof r.json.error.message, "string");
      assert.deepEqual(r.json.error.culprits, c.culprits);
      for (const [k, v] of Object.entries(c.details ?? {})) assert.deepEqual(r.json.error.details[k], v, k);
    });
  }

  it("an unknown error becomes INTERNAL without leaking its message; the log has the incident", async () => {
    const r = await signWith(new TypeError("cannot read secretShare of undefined at /srv/node/x.ts"));
    assert.equal(r.status, 500);
    assert.equal(r.json.error.code, "INTERNAL");
    assert.doesNotMatch(r.text, /secretShare|\/srv\/node/);
    const incident = r.json.error.details.incident as string;
    assert.match(incident, /^[0-9a-f]{12}$/);
    const logged = logger.entries.find((e) => (e.obj as { incident?: string }).incident === incident);
    assert.ok(logged, "the original error is logged under the incident id");
    assert.equal(logged.level, "error");
  });

  it("a thrown non-Error is INTERNAL too", async () => {
    const r = await signWith("a string");
    assert.equal(r.status, 500);
    assert.equal(r.json.error.code, "INTERNAL");
  });

  it("unknown key → 404 NOT_FOUND from the service", async () => {
    const r = await raw(api.url, "GET", "/v1/keys/4242", { token: api.token });
    assert.equal(r.status, 404);
    assert.equal(r.json.error.code, "NOT_FOUND");
  });
});

describe("API robustness (typed errors; the server stays up)", () => {
  let api: FakeApi;
  const logger = recordingLogger();
  before(async () => {
    api = await startFakeApi({ logger, maxBodyBytes: 4096, metrics: () => "shardless_up 1\n" });
  });
  after(() => api.stop());

  const stillUp = async () => {
    const r = await raw(api.url, "GET", "/v1/status", { token: api.token });
    assert.equal(r.status, 200);
  };

  const malformed = ["{", '{"requestId": }', "nul", "\u0000\u0001", '{"a":1}}', "", "[1,2"];
  for (const body of malformed) {
    it(`malformed JSON ${JSON.stringify(body)} → 400 BAD_REQUEST (field body)`, async () => {
      const r = await raw(api.url, "POST", "/v1/keys/1/refresh", { token: api.token, rawBody: body });
      assert.equal(r.status, 400, r.text);
      assert.equal(r.json.error.code, "BAD_REQUEST");
      assert.equal(r.json.error.details.field, "body");
      await stillUp();
    });
  }

  it("a body quoting secrets in bad JSON is not echoed in the error", async () => {
    const r = await raw(api.url, "POST", "/v1/keys/1/refresh", {
      token: api.token,
      rawBody: '{"requestId":"a","note":"SECRET-MARKER-42" oops}',
    });
    assert.equal(r.status, 400);
    assert.doesNotMatch(r.text, /SECRET-MARKER-42/);
  });

  it("prototype pollution: a __proto__ key is refused", async () => {
    const r = await raw(api.url, "POST", "/v1/keys/1/sign", {
      token: api.token,
      rawBody:
        '{"requestId":"p1","kind":"typedData","typedData":{"domain":{"__proto__":{"polluted":1}},"types":{},"message":{}}}',
    });
    assert.equal(r.status, 400);
    assert.equal(r.json.error.code, "BAD_REQUEST");
    assert.equal(({} as { polluted?: number }).polluted, undefined);
  });

  it("oversized body (declared length) → 400 BAD_REQUEST naming body, then the server answers again", async () => {
    const r = await raw(api.url, "POST", "/v1/keys/1/sign", {
      token: api.token,
      body: { requestId: "big", kind: "message", message: "0x" + "00".repeat(8192) },
    });
    assert.equal(r.status, 400);
    assert.equal(r.json.error.code, "BAD_REQUEST");
    assert.equal(r.json.error.details.field, "body");
    assert.equal(r.json.error.details.limit, 4096);
    await stillUp();
  });

  it("oversized body (declared length) still in flight when the 400 comes: the server reads it to its end instead of resetting the client", async () => {
    // A raw client: headers and the first 64 KiB of a 4 MiB body, then the rest only after the answer.
    // A server that hung up at its answer would reset this connection (EPIPE / ECONNRESET on the
    // client, which fetch reports instead of the 400); this one drains the body and answers again.
    const u = new URL(api.url);
    const socket = net.connect(Number(u.port), u.hostname);
    let received = "";
    const closed = new Promise<string>((resolve) => {
      socket.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      socket.on("close", () => resolve("closed"));
    });
    socket.on("data", (d: Buffer) => (received += d.toString("latin1")));
    const answers = async (count: number) => {
      while ((received.match(/HTTP\/1\.1 /g) ?? []).length < count) {
        const gone = await Promise.race([closed, new Promise((r) => setTimeout(r, 10))]);
        if (typeof gone === "string") throw new Error(`connection ended before answer ${count}: ${gone}`);
      }
    };
    const length = 4 * 1_048_576;
    try {
      await new Promise<void>((r) => socket.once("connect", r));
      socket.write(
        `POST /v1/keys/1/refresh HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${api.token}\r\n` +
          `content-type: application/json\r\ncontent-length: ${length}\r\n\r\n` +
          "x".repeat(64 * 1024),
      );
      await answers(1);
      assert.match(received, /^HTTP\/1\.1 400 /);
      assert.doesNotMatch(received, /connection: close/i);
      const rest = Buffer.alloc(length - 64 * 1024, "x");
      await new Promise<void>((resolve, reject) => socket.write(rest, (e) => (e ? reject(e) : resolve())));
      socket.write(`GET /v1/status HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${api.token}\r\n\r\n`);
      await answers(2);
      assert.match(received.slice(received.lastIndexOf("HTTP/1.1 ")), /^HTTP\/1\.1 200 /);
    } finally {
      socket.destroy();
    }
    await stillUp();
  });

  it("oversized chunked body (no length header) is cut off at the cap", async () => {
    const status = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const u = new URL(api.url);
      const req = http.request(
        {
          host: u.hostname,
          port: u.port,
          method: "POST",
          path: "/v1/keys/1/refresh",
          headers: { authorization: `Bearer ${api.token}`, "transfer-encoding": "chunked" },
        },
        (res) => {
          let body = "";
          res.on("data", (d: Buffer) => (body += d.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on("error", reject);
      // Keep writing well past the cap; the server must answer without waiting for the end.
      const chunk = "x".repeat(1024);
      let i = 0;
      const pump = () => {
        while (i++ < 64) if (!req.write(chunk)) return void req.once("drain", pump);
        req.end();
      };
      pump();
    });
    assert.equal(status.status, 400);
    assert.equal(JSON.parse(status.body).error.details.field, "body");
    await stillUp();
  });

  const unknown: [string, string][] = [
    ["GET", "/"],
    ["GET", "/v2/status"],
    ["POST", "/v1/status"],
    ["DELETE", "/v1/keys/1"],
    ["GET", "/v1/keys/1/sign"],
    ["GET", "/v1/keys/1/extra/segments"],
  ];
  for (const [method, path] of unknown) {
    it(`unknown route ${method} ${path} → 404 NOT_FOUND JSON`, async () => {
      const r = await raw(api.url, method, path, { token: api.token });
      assert.equal(r.status, 404);
      assert.equal(r.json.error.code, "NOT_FOUND");
      assert.match(r.headers.get("content-type") ?? "", /application\/json/);
      await stillUp();
    });
  }

  it("an absolute-form request target → 400 BAD_REQUEST (field path), then the server answers again", async () => {
    const u = new URL(api.url);
    const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        { host: u.hostname, port: u.port, method: "GET", path: "http://example.com:99999/v1/status" },
        (res) => {
          let body = "";
          res.on("data", (d: Buffer) => (body += d.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on("error", reject);
      req.end();
    });
    assert.equal(reply.status, 400);
    assert.equal(JSON.parse(reply.body).error.details.field, "path");
    await stillUp();
  });

  it("serves /metrics from the injected function", async () => {
    const r = await raw(api.url, "GET", "/metrics");
    assert.equal(r.text, "shardless_up 1\n");
  });

  it("logs never contain the token or request bodies", async () => {
    const key = await api.client.keygen("1", "ecdsa", 1);
    await api.client.sign(key.keyId, { kind: "message", message: "0x5345435245542d4d41524b45522d3939" }); // "SECRET-MARKER-99"
    await raw(api.url, "POST", `/v1/keys/${key.keyId}/sign`, {
      token: "not-the-token-but-similar-secret",
      body: { requestId: "x", kind: "message", message: "0x00" },
    });
    const text = JSON.stringify(logger.entries);
    assert.ok(logger.entries.length > 0);
    assert.ok(!text.includes(api.token));
    assert.ok(!text.includes("not-the-token-but-similar-secret"));
    assert.ok(!text.includes("5345435245542d4d41524b45522d3939"));
    assert.ok(!text.includes("SECRET-MARKER-99"));
    // The access log names routes by pattern, not by raw path.
    assert.ok(
      logger.entries.some((e) => (e.obj as { route?: string }).route === "POST /v1/keys/:keyId/sign"),
    );
  });
});

describe("API server lifecycle", () => {
  it("refuses a short token", () => {
    assert.throws(
      () => new ApiServer({ services: new FakeNodeServices(), token: "short", port: 0 }),
      (e: { code?: string }) => e.code === "PARAMETER",
    );
  });

  it("binds to loopback by default and stops cleanly", async () => {
    const api = await startFakeApi();
    assert.match(api.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    await api.client.status();
    await api.stop();
    await assert.rejects(api.client.status(), (e: { code?: string }) => e.code === "UNREACHABLE");
  });

  it("healthz answers 503 when the node reports not ok", async () => {
    const services = new FakeNodeServices();
    services.health = async () => ({ ok: false, peerId: services.peerId });
    const api = await startFakeApi({ services });
    try {
      const r = await raw(api.url, "GET", "/healthz");
      assert.equal(r.status, 503);
      assert.equal(r.json.ok, false);
    } finally {
      await api.stop();
    }
  });
});

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startFakeApi, type FakeApi } from "../../helpers/api-fake-services.js";
import { raw } from "../../helpers/api-http.js";

const DIGEST = "0x" + "ab".repeat(32);
const ADDR1 = "0x1111111111111111111111111111111111111111";
const ADDR2 = "0x2222222222222222222222222222222222222222";

describe("API authentication", () => {
  let api: FakeApi;
  before(async () => {
    api = await startFakeApi();
  });
  after(() => api.stop());

  const v1Routes: [string, string][] = [
    ["GET", "/v1/status"],
    ["GET", "/v1/keys/1"],
    ["POST", "/v1/groups/1/keys"],
    ["POST", "/v1/keys/1/sign"],
    ["POST", "/v1/keys/1/decrypt"],
    ["POST", "/v1/keys/1/refresh"],
    ["POST", "/v1/keys/1/recover"],
    ["POST", "/v1/groups/1/reshare"],
    ["GET", "/v1/no-such-route"],
  ];
  for (const [method, path] of v1Routes) {
    it(`${method} ${path} refuses a missing, wrong or malformed token (401 UNAUTHORIZED)`, async () => {
      const body = method === "POST" ? { requestId: "r1" } : undefined;
      const attempts = [
        {},
        { token: "wrong-token-0123456789abcdef" },
        { token: api.token.slice(0, -1) },
        { token: api.token + "x" },
        { authorization: `Basic ${api.token}` },
        { authorization: `Bearer ${api.token} extra` },
        { authorization: `Bearer` },
      ];
      for (const auth of attempts) {
        const r = await raw(api.url, method, path, { ...auth, body });
        assert.equal(r.status, 401, JSON.stringify(auth));
        assert.equal(r.json.error.code, "UNAUTHORIZED");
      }
      assert.equal(api.services.calls.length, 0, "no service method runs without the token");
    });
  }

  it("accepts the token and serves /healthz and /metrics without one", async () => {
    const ok = await raw(api.url, "GET", "/v1/status", { token: api.token });
    assert.equal(ok.status, 200);
    assert.equal(ok.json.peerId, api.services.peerId);
    const health = await raw(api.url, "GET", "/healthz");
    assert.deepEqual(health.json, { ok: true, peerId: api.services.peerId });
    const metrics = await raw(api.url, "GET", "/metrics");
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get("content-type") ?? "", /^text\/plain/);
  });
});

describe("API validation (400 BAD_REQUEST names the field; the service is not called)", () => {
  let api: FakeApi;
  before(async () => {
    api = await startFakeApi();
  });
  after(() => api.stop());

  const cases: { name: string; path: string; body: unknown; field: string }[] = [
    // keygen
    {
      name: "keygen: unknown scheme",
      path: "/v1/groups/1/keys",
      body: { requestId: "a", scheme: "rsa", degree: 1 },
      field: "scheme",
    },
    {
      name: "keygen: degree 0",
      path: "/v1/groups/1/keys",
      body: { requestId: "a", scheme: "ecdsa", degree: 0 },
      field: "degree",
    },
    {
      name: "keygen: fractional degree",
      path: "/v1/groups/1/keys",
      body: { requestId: "a", scheme: "ecdsa", degree: 1.5 },
      field: "degree",
    },
    {
      name: "keygen: degree as string",
      path: "/v1/groups/1/keys",
      body: { requestId: "a", scheme: "ecdsa", degree: "1" },
      field: "degree",
    },
    {
      name: "keygen: degree too large",
      path: "/v1/groups/1/keys",
      body: { requestId: "a", scheme: "ecdsa", degree: 64 },
      field: "degree",
    },
    {
      name: "keygen: missing requestId",
      path: "/v1/groups/1/keys",
      body: { scheme: "ecdsa", degree: 1 },
      field: "requestId",
    },
    {
      name: "keygen: requestId with a space",
      path: "/v1/groups/1/keys",
      body: { requestId: "a b", scheme: "ecdsa", degree: 1 },
      field: "requestId",
    },
    {
      name: "keygen: requestId too long",
      path: "/v1/groups/1/keys",
      body: { requestId: "a".repeat(129), scheme: "ecdsa", degree: 1 },
      field: "requestId",
    },
    {
      name: "keygen: unknown field",
      path: "/v1/groups/1/keys",
      body: { requestId: "a", scheme: "ecdsa", degree: 1, threshold: 2 },
      field: "threshold",
    },
    // sign
    {
      name: "sign: missing kind",
      path: "/v1/keys/1/sign",
      body: { requestId: "a", digest: DIGEST },
      field: "kind",
    },
    {
      name: "sign: unknown kind",
      path: "/v1/keys/1/sign",
      body: { requestId: "a", kind: "blob", digest: DIGEST },
      field: "kind",
    },
    {
      name: "sign: short digest",
      path: "/v1/keys/1/sign",
      body: { requestId: "a", kind: "digest", digest: "0x" + "ab".repeat(31) },
      field: "digest",
    },
    {
      name: "sign: digest without 0x",
      path: "/v1/keys/1/sign",
      body: { requestId: "a", kind: "digest", digest: "ab".repeat(32) },
      field: "digest",
    },
    {
      name: "sign: odd-length message hex",
      path: "/v1/keys/1/sign",
      body: { requestId: "a", kind: "message", message: "0xabc" },
      field: "message",
    },
    {
      name: "sign: message not hex",
      path: "/v1/keys/1/sign",
      body: { requestId: "a", kind: "message", message: "hello" },
      field: "message",
    },
    {
      name: "sign: empty transaction",
      path: "/v1/keys/1/sign",
      body: { requestId: "a", kind: "transaction", transaction: "0x" },
      field: "transaction",
    },
    {
      name: "sign: typedData without message",
      path: "/v1/keys/1/sign",
      body: { requestId: "a", kind: "typedData", typedData: { domain: {}, types: {} } },
      field: "typedData.message",
    },
    {
      name: "sign: typedData field without type",
      path: "/v1/keys/1/sign",
      body: {
        requestId: "a",
        kind: "typedData",
        typedData: { domain: {}, types: { T: [{ name: "x" }] }, message: {} },
      },
      field: "typedData.types.T.0.type",
    },
    {
      name: "sign: unknown variant",
      path: "/v1/keys/1/sign",
      body: { requestId: "a", kind: "digest", digest: DIGEST, variant: "ed25519" },
      field: "variant",
    },
    {
      name: "sign: field of another kind",
      path: "/v1/keys/1/sign",
      body: { requestId: "a", kind: "digest", digest: DIGEST, message: "0x00" },
      field: "message",
    },
    // decrypt
    {
      name: "decrypt: unknown format",
      path: "/v1/keys/1/decrypt",
      body: { requestId: "a", ciphertext: "0x00", format: "rsa", payload: { id: "1" } },
      field: "format",
    },
    {
      name: "decrypt: empty ciphertext",
      path: "/v1/keys/1/decrypt",
      body: { requestId: "a", ciphertext: "0x", format: "tdh2", payload: { id: "1" } },
      field: "ciphertext",
    },
    {
      name: "decrypt: payload missing",
      path: "/v1/keys/1/decrypt",
      body: { requestId: "a", ciphertext: "0x00", format: "tdh2" },
      field: "payload",
    },
    {
      name: "decrypt: payload id not decimal",
      path: "/v1/keys/1/decrypt",
      body: { requestId: "a", ciphertext: "0x00", payload: { id: "0x01" } },
      field: "payload.id",
    },
    {
      name: "decrypt: payload contract malformed",
      path: "/v1/keys/1/decrypt",
      body: { requestId: "a", ciphertext: "0x00", payload: { id: "1", contract: "0x12" } },
      field: "payload.contract",
    },
    {
      name: "decrypt: ecies without payload contract",
      path: "/v1/keys/1/decrypt",
      body: { requestId: "a", ciphertext: "0x00", format: "ecies", payload: { id: "1" } },
      field: "payload.contract",
    },
    {
      name: "decrypt: unknown payload field",
      path: "/v1/keys/1/decrypt",
      body: { requestId: "a", ciphertext: "0x00", payload: { id: "1", topic: "x" } },
      field: "payload.topic",
    },
    // refresh
    { name: "refresh: missing requestId", path: "/v1/keys/1/refresh", body: {}, field: "requestId" },
    {
      name: "refresh: extra field",
      path: "/v1/keys/1/refresh",
      body: { requestId: "a", epoch: 3 },
      field: "epoch",
    },
    // recover
    {
      name: "recover: member 0",
      path: "/v1/keys/1/recover",
      body: { requestId: "a", member: 0 },
      field: "member",
    },
    {
      name: "recover: member missing",
      path: "/v1/keys/1/recover",
      body: { requestId: "a" },
      field: "member",
    },
    // reshare
    {
      name: "reshare: malformed address",
      path: "/v1/groups/1/reshare",
      body: { requestId: "a", members: [ADDR1, "0x1234"], degree: 1 },
      field: "members.1",
    },
    {
      name: "reshare: duplicate members",
      path: "/v1/groups/1/reshare",
      body: { requestId: "a", members: [ADDR1, ADDR1], degree: 1 },
      field: "members",
    },
    {
      name: "reshare: one member",
      path: "/v1/groups/1/reshare",
      body: { requestId: "a", members: [ADDR1], degree: 1 },
      field: "members",
    },
    {
      name: "reshare: degree missing",
      path: "/v1/groups/1/reshare",
      body: { requestId: "a", members: [ADDR1, ADDR2] },
      field: "degree",
    },
    // bodies that are not objects
    { name: "body is an array", path: "/v1/keys/1/refresh", body: [], field: "body" },
    { name: "body is a string", path: "/v1/keys/1/refresh", body: "x", field: "body" },
    { name: "body is null", path: "/v1/keys/1/refresh", body: null, field: "body" },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const before = api.services.calls.length;
      const r = await raw(api.url, "POST", c.path, { token: api.token, body: c.body });
      assert.equal(r.status, 400, r.text);
      assert.equal(r.json.error.code, "BAD_REQUEST");
      assert.equal(r.json.error.details.field, c.field, r.text);
      assert.equal(api.services.calls.length, before);
    });
  }

  const badPaths: { name: string; method: string; path: string; field: string }[] = [
    { name: "key id with a space", method: "GET", path: "/v1/keys/a%20b", field: "keyId" },
    { name: "key id with a NUL byte", method: "GET", path: "/v1/keys/a%00", field: "keyId" },
    {
      name: "key id with broken percent-encoding",
      method: "POST",
      path: "/v1/keys/%E0%A4%A/refresh",
      field: "keyId",
    },
    { name: "key id too long", method: "GET", path: "/v1/keys/" + "9".repeat(129), field: "keyId" },
    {
      name: "group id with a slash (encoded)",
      method: "POST",
      path: "/v1/groups/a%2Fb/keys",
      field: "groupId",
    },
  ];
  for (const c of badPaths) {
    it(`path: ${c.name}`, async () => {
      const r = await raw(api.url, c.method, c.path, {
        token: api.token,
        body: c.method === "POST" ? { requestId: "a" } : undefined,
      });
      assert.equal(r.status, 400, r.text);
      assert.equal(r.json.error.code, "BAD_REQUEST");
      assert.equal(r.json.error.details.field, c.field);
    });
  }

  it("lists every failing field in details.issues", async () => {
    const r = await raw(api.url, "POST", "/v1/groups/1/keys", {
      token: api.token,
      body: { requestId: "", scheme: "x", degree: -1 },
    });
    assert.equal(r.status, 400);
    const fields = r.json.error.details.issues.map((i: { field: string }) => i.field).sort();
    assert.deepEqual([...new Set(fields)], ["degree", "requestId", "scheme"]);
  });

  it("accepts valid bodies of every route (the schema is not too strict)", async () => {
    const s = api.services;
    const keygen = await raw(api.url, "POST", "/v1/groups/1/keys", {
      token: api.token,
      body: { requestId: "ok-1", scheme: "ecdsa", degree: 1 },
    });
    assert.equal(keygen.status, 200, keygen.text);
    const enc = await raw(api.url, "POST", "/v1/groups/1/keys", {
      token: api.token,
      body: { requestId: "ok-2", scheme: "encryption", degree: 1 },
    });
    assert.equal(enc.status, 200, enc.text);
    const ecdsaId = keygen.json.keyId;
    const sign = await raw(api.url, "POST", `/v1/keys/${ecdsaId}/sign`, {
      token: api.token,
      body: { requestId: "ok-3", kind: "digest", digest: DIGEST.toUpperCase().replace("0X", "0x") },
    });
    assert.equal(sign.status, 200, sign.text);
    assert.equal(sign.json.digest, DIGEST, "hex arrives normalised to lower case");
    for (const [path, body] of [
      [`/v1/keys/${ecdsaId}/refresh`, { requestId: "ok-4" }],
      [`/v1/keys/${ecdsaId}/recover`, { requestId: "ok-5", member: 2 }],
      [
        "/v1/groups/1/reshare",
        {
          requestId: "ok-6",
          members: [ADDR1, ADDR2, "0x3333333333333333333333333333333333333333"],
          degree: 1,
        },
      ],
    ] as const) {
      const r = await raw(api.url, "POST", path, { token: api.token, body });
      assert.equal(r.status, 200, `${path}: ${r.text}`);
    }
    const reshare = s.calls.find((c) => c.method === "reshare")!;
    assert.deepEqual(reshare.args.slice(0, 3), [
      "1",
      [ADDR1, ADDR2, "0x3333333333333333333333333333333333333333"],
      1,
    ]);
  });
});

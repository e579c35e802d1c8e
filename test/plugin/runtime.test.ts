import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { configVariable } from "hardhat/config";
import { AbiCoder, getBytes, hexlify, parseEther, toUtf8Bytes, verifyMessage, ZeroAddress } from "ethers";
import { inspectCiphertext } from "../../node/client/encryption.js";
import { FakeNodeServices, startFakeApi, type FakeApi } from "../helpers/api-fake-services.js";
import { pluginHre } from "../helpers/api-plugin.js";

const isCode = (code: string) => (e: unknown) => (e as { code?: string }).code === code;

describe("plugin runtime: hre.shardless", () => {
  let api: FakeApi;
  let dir: string;
  before(async () => {
    api = await startFakeApi();
    dir = await mkdtemp(path.join(tmpdir(), "shardless-plugin-"));
  });
  after(async () => {
    await api.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("with no nodes and no devnet: NO_NODES", async () => {
    const hre = await pluginHre({ devnet: { dataDir: path.join(dir, "no-devnet") } });
    await assert.rejects(hre.shardless.status(), isCode("NO_NODES"));
  });

  it("reads the token from a file, an env var or a configuration variable", async () => {
    const tokenFile = path.join(dir, "token");
    await writeFile(tokenFile, api.token + "\n");
    process.env.SHARDLESS_TEST_TOKEN_ENV = api.token;
    process.env.SHARDLESS_TEST_TOKEN_VAR = api.token;
    try {
      const hre = await pluginHre({
        nodes: [
          { name: "file", url: api.url, tokenFile },
          { name: "env", url: api.url, tokenEnv: "SHARDLESS_TEST_TOKEN_ENV" },
          { name: "var", url: api.url, token: configVariable("SHARDLESS_TEST_TOKEN_VAR") },
        ],
      });
      for (const node of ["file", "env", "var"]) {
        assert.equal((await hre.shardless.status(node)).peerId, api.services.peerId, node);
      }
      await assert.rejects(hre.shardless.status("nope"), isCode("UNKNOWN_NODE"));
    } finally {
      delete process.env.SHARDLESS_TEST_TOKEN_ENV;
      delete process.env.SHARDLESS_TEST_TOKEN_VAR;
    }
  });

  it("a missing token file or empty env var is TOKEN_UNAVAILABLE; a wrong token is UNAUTHORIZED with a hint", async () => {
    const hre = await pluginHre({
      nodes: [
        { name: "missing", url: api.url, tokenFile: path.join(dir, "does-not-exist") },
        { name: "empty", url: api.url, tokenEnv: "SHARDLESS_TEST_UNSET_VAR" },
        { name: "wrong", url: api.url, token: "wrong-token-wrong-token" },
      ],
    });
    await assert.rejects(hre.shardless.status("missing"), isCode("TOKEN_UNAVAILABLE"));
    await assert.rejects(hre.shardless.status("empty"), isCode("TOKEN_UNAVAILABLE"));
    await assert.rejects(hre.shardless.status("wrong"), isCode("UNAUTHORIZED"));
  });

  it("falls back to the running devnet's devnet.json when no nodes are configured", async () => {
    const dataDir = path.join(dir, "devnet");
    await mkdir(dataDir, { recursive: true });
    await writeFile(
      path.join(dataDir, "devnet.json"),
      JSON.stringify({
        rpcUrl: "http://127.0.0.1:8545",
        chainId: 31337,
        registry: ZeroAddress,
        groupId: "1",
        admin: ZeroAddress,
        members: [
          {
            index: 1,
            operator: ZeroAddress,
            peerId: "p",
            apiUrl: api.url,
            token: api.token,
            dir: "/x",
            p2pPort: 1,
          },
        ],
      }),
    );
    const hre = await pluginHre({ devnet: { dataDir } });
    assert.deepEqual(
      (await hre.shardless.endpoints()).map((e) => e.name),
      ["member1"],
    );
    assert.equal((await hre.shardless.status()).peerId, api.services.peerId);
    await writeFile(path.join(dataDir, "devnet.json"), "{ not json");
    await assert.rejects(hre.shardless.status(), isCode("BAD_ARGUMENT"));
  });

  it("encryptForContract + decrypt round-trip through the group (TDH2), labelled for the contract", async () => {
    const enc = await api.client.keygen("1", "encryption", 1);
    const hre = await pluginHre({
      nodes: [{ url: api.url, token: api.token }],
      defaultEncryptionKey: enc.keyId,
    });
    const contract = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    const amount = AbiCoder.defaultAbiCoder().encode(["uint256"], [1234n]);
    const ct = await hre.shardless.encryptForContract({ chainId: 31337n, contract, topic: "bids" }, amount);
    const info = inspectCiphertext(ct);
    assert.equal(info.valid, true);
    assert.equal(info.label?.contract, contract);
    assert.equal(info.label?.chainId, 31337n);
    assert.equal(await hre.shardless.decrypt(ct, { payload: { id: 3n } }), amount);
    assert.deepEqual(api.services.calls.at(-1)!.args[4], { id: 3n });
  });

  it("encryptForContract refuses a signing key (WRONG_SCHEME) and a missing key (NO_KEY)", async () => {
    const ecdsa = await api.client.keygen("1", "ecdsa", 1);
    const hre = await pluginHre({ nodes: [{ url: api.url, token: api.token }] });
    const target = { chainId: 1, contract: ZeroAddress, topic: "t" };
    await assert.rejects(
      hre.shardless.encryptForContract(target, "0x01", ecdsa.keyId),
      isCode("WRONG_SCHEME"),
    );
    await assert.rejects(hre.shardless.encryptForContract(target, "0x01"), isCode("NO_KEY"));
    await assert.rejects(hre.shardless.signer(), isCode("NO_KEY"));
  });

  it("runtime errors from the node carry the API code and a next step", async () => {
    const hre = await pluginHre({ nodes: [{ url: api.url, token: api.token }] });
    await assert.rejects(
      hre.shardless.key("404"),
      (e: unknown) => isCode("NOT_FOUND")(e) && e instanceof Error,
    );
  });
});

describe("plugin runtime: (await network.create()).shardless", () => {
  let api: FakeApi;
  before(async () => {
    api = await startFakeApi({ services: new FakeNodeServices() });
  });
  after(() => api.stop());

  it("signer(keyId) is a GroupSigner on the connection's provider: sends, signs messages", async () => {
    const key = await api.client.keygen("1", "ecdsa", 1);
    const hre = await pluginHre({ nodes: [{ url: api.url, token: api.token }], defaultKey: key.keyId });
    const connection = await hre.network.create();
    try {
      const [funder] = await connection.ethers.getSigners();
      await (await funder!.sendTransaction({ to: key.address!, value: parseEther("2") })).wait();
      const signer = await connection.shardless.signer();
      assert.equal(await signer.getAddress(), key.address);
      assert.equal(signer.provider, connection.ethers.provider);
      const receipt = await (
        await signer.sendTransaction({ to: funder!.address, value: parseEther("1") })
      ).wait();
      assert.equal(receipt!.from, key.address);
      assert.equal(receipt!.status, 1);
      assert.equal(verifyMessage("hi", await signer.signMessage("hi")), key.address);
    } finally {
      await connection.close();
    }
  });

  it("encryptForContract takes the chain id from the connection", async () => {
    const enc = await api.client.keygen("1", "encryption", 1);
    const hre = await pluginHre({ nodes: [{ url: api.url, token: api.token }] });
    const connection = await hre.network.create();
    try {
      const ct = await connection.shardless.encryptForContract(
        { contract: ZeroAddress, topic: "x" },
        hexlify(toUtf8Bytes("secret")),
        enc.keyId,
      );
      assert.equal(inspectCiphertext(ct).label?.chainId, 31337n);
      const pt = await connection.shardless.decrypt(ct, { keyId: enc.keyId, payload: { id: 1n } });
      assert.deepEqual(getBytes(pt), toUtf8Bytes("secret"));
    } finally {
      await connection.close();
    }
  });
});

/**
 * Schemas of every path parameter and request body of the API (docs/api.md "Routes"). Bodies are strict:
 * an unknown field is a 400 naming it, so a typo never silently changes what gets signed.
 */
import { getAddress, isAddress } from "ethers";
import { z } from "zod";
import { approvalsSchema } from "../../policy/approvals/approval.js";
import { SCHEMES } from "../../protocol/key-share.js";
import type { Hex } from "../../client/types.js";

/** Largest group the key-share format allows (assertGroupParameters). */
export const MAX_MEMBERS = 64;

export const requestIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:-]+$/, "requestId must be 1-128 chars of [A-Za-z0-9._:-]");

/** Group and key ids: registry ids are decimal uint256 strings; tests use short names. */
export const idSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._-]+$/, "id must be 1-128 chars of [A-Za-z0-9._-]");

const hexBytes = (what: string) =>
  z
    .string()
    .regex(/^0x(?:[0-9a-fA-F]{2})*$/, `${what} must be 0x-prefixed hex of whole bytes`)
    .transform((s) => s.toLowerCase() as Hex);

const nonEmptyHex = (what: string) =>
  z
    .string()
    .regex(/^0x(?:[0-9a-fA-F]{2})+$/, `${what} must be non-empty 0x-prefixed hex of whole bytes`)
    .transform((s) => s.toLowerCase() as Hex);

const digestSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "digest must be 32 bytes of 0x-prefixed hex")
  .transform((s) => s.toLowerCase() as Hex);

const degreeSchema = z
  .number()
  .int()
  .min(1)
  .max(MAX_MEMBERS - 1);

const addressSchema = z
  .string()
  .refine((s) => isAddress(s) && s.startsWith("0x"), "must be a 0x-prefixed Ethereum address")
  .transform((s) => getAddress(s) as Hex);

const typedDataSchema = z
  .object({
    domain: z.record(z.unknown()),
    types: z.record(z.array(z.object({ name: z.string(), type: z.string() }).strict())),
    primaryType: z.string().min(1).optional(),
    message: z.record(z.unknown()),
  })
  .strict();

const variantSchema = z.enum(["bip340", "rfc9591"]).optional();
const base = { requestId: requestIdSchema, variant: variantSchema, approvals: approvalsSchema.optional() };

export const signBodySchema = z.discriminatedUnion("kind", [
  z.object({ ...base, kind: z.literal("digest"), digest: digestSchema }).strict(),
  z.object({ ...base, kind: z.literal("message"), message: hexBytes("message") }).strict(),
  z.object({ ...base, kind: z.literal("typedData"), typedData: typedDataSchema }).strict(),
  z.object({ ...base, kind: z.literal("transaction"), transaction: nonEmptyHex("transaction") }).strict(),
]);

export const keygenBodySchema = z
  .object({ requestId: requestIdSchema, scheme: z.enum(SCHEMES), degree: degreeSchema })
  .strict();

/** Where the ciphertext is stored on-chain: members check that payload's reveal policy. */
const payloadPointerSchema = z
  .object({
    contract: addressSchema.optional(),
    id: z.string().regex(/^\d{1,78}$/, "payload id must be a decimal uint256 string"),
  })
  .strict();

export const decryptBodySchema = z
  .object({
    requestId: requestIdSchema,
    ciphertext: nonEmptyHex("ciphertext"),
    format: z.enum(["tdh2", "ecies"]).default("tdh2"),
    payload: payloadPointerSchema,
  })
  .strict()
  .superRefine((b, ctx) => {
    // An eciesjs ciphertext carries no label, so the contract must be named explicitly.
    if (b.format === "ecies" && b.payload.contract === undefined) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["payload", "contract"],
        message: "payload.contract is required for ecies ciphertexts",
      });
    }
  });

export const refreshBodySchema = z.object({ requestId: requestIdSchema }).strict();

export const recoverBodySchema = z
  .object({ requestId: requestIdSchema, member: z.number().int().min(1).max(MAX_MEMBERS) })
  .strict();

export const reshareBodySchema = z
  .object({
    requestId: requestIdSchema,
    members: z
      .array(addressSchema)
      .min(2)
      .max(MAX_MEMBERS)
      .refine((m) => new Set(m).size === m.length, "members must be distinct"),
    degree: degreeSchema,
  })
  .strict();

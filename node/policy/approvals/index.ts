/** Business approval layer (DESIGN.md §3 "Approve"): sign policies, EIP-712 approvals, the member's check. */
export * from "./errors.js";
export * from "./intent.js";
export * from "./policy.js";
export * from "./approval.js";
export * from "./evaluate.js";

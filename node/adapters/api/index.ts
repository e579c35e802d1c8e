export { ApiServer, createApiServer, MIN_TOKEN_LENGTH, type ApiServerOptions } from "./server.js";
export type { NodeServices, HealthStatus, PayloadRef, RecoverResult } from "./services.js";
export {
  ApiError,
  NotFoundError,
  UnavailableError,
  toApiError,
  API_STATUS,
  type ApiErrorCode,
} from "./errors.js";
export {
  Idempotency,
  MemoryIdempotencyStore,
  canonicalJson,
  requestFingerprint,
  type IdempotencyRecord,
  type IdempotencyStore,
  type MemoryIdempotencyStoreOptions,
} from "./idempotency.js";

/** In-memory transport with fault injection (tests, in-process benchmarks). */
export * from "./transport.js";
export * from "./faults.js";

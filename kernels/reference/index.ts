export * from "./matmul.js";
export * from "./attention.js";
export * from "./elementwise.js";
export * from "./rows.js";
export * from "./rope.js";
export * from "./f16.js";

// What "Compress it yourself" ships besides kick-s, shared by its data loaders and the page.
/** The suites the page evaluates. */
export const COMPRESS_YOURSELF_TASKS = ["perplexity", "factoid_qa"] as const;
/** The largest calibration the page offers (the stored sweep's: 128 windows of 512 tokens). */
export const MAX_CALIBRATION = { samples: 128, seqLen: 512 };

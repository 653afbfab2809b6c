// A mistake in a command's input, reported as the command line would: its own module so that
// libraries (kick prompt --compressed's spec reader) can raise it without importing the CLI.

/** A mistake in the command line: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  constructor(readonly command: string, message: string) {
    super(`kick ${command}: ${message} (see kick ${command} --help)`);
    this.name = "UsageError";
  }
}

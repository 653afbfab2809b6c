/**
 * The one error type of model I/O. Every message names the file and, where there is one, the field or
 * tensor, so a user can find what is wrong without a stack trace.
 */
export class ModelFormatError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = "ModelFormatError";
  }
}

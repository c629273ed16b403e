/**
 * An error meant for the user: its message is the whole story, so the CLI prints it without a stack trace.
 * Every stage throws this (or a subclass) for bad input; anything else reaching the CLI is a bug in ostool.
 */
export class UserError extends Error {
  constructor(
    message: string,
    /** Process exit status the CLI should use. */
    readonly exitCode: number = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

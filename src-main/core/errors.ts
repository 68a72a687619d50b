/**
 * Errors are values: a stable `code` scripts and the UI can branch on, a message a person can read,
 * and details for the curious. They cross IPC intact and are rebuilt on the other side.
 */
export const errorCodes = [
  'INVALID_INPUT',
  'REF_INVALID',
  'NOT_FOUND',
  'CONFLICT',
  'IN_USE',
  'ENGINE_UNREACHABLE',
  'ENGINE_ERROR',
  'REGISTRY_ERROR',
  'AUTH_REQUIRED',
  'AUTH_FAILED',
  'NETWORK',
  'TIMEOUT',
  'DIGEST_MISMATCH',
  'ARCHIVE_INVALID',
  'NO_SPACE',
  'UNSUPPORTED',
  'CANCELLED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export interface ErrorValue {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export class LighterError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'LighterError';
    this.code = code;
    this.details = details;
  }

  toValue(): ErrorValue {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static fromValue(value: ErrorValue): LighterError {
    return new LighterError(value.code, value.message, value.details);
  }
}

export function isLighterError(e: unknown): e is LighterError {
  return e instanceof LighterError;
}

/** Any thrown thing as an ErrorValue; unknown errors become INTERNAL with their message only. */
export function toErrorValue(e: unknown): ErrorValue {
  if (e instanceof LighterError) return e.toValue();
  if (isAbortError(e)) return { code: 'CANCELLED', message: 'Cancelled' };
  const message = e instanceof Error ? e.message : String(e);
  return { code: 'INTERNAL', message: message || 'Unexpected error' };
}

export function isAbortError(e: unknown): boolean {
  return (
    typeof e === 'object' &&
    e !== null &&
    ((e as { name?: string }).name === 'AbortError' || (e as { code?: string }).code === 'ABORT_ERR')
  );
}

export function cancelled(): LighterError {
  return new LighterError('CANCELLED', 'Cancelled');
}

/** Throws CANCELLED when the signal has fired; call between steps of long work. */
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw cancelled();
}

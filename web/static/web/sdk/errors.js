// @ts-check
/** An API failure as the envelope describes it, or a network failure (status 0). */
export class ApiError extends Error {
  /**
   * @param {{status: number, code: string, message: string, details?: unknown, requestId?: string | null}} fields
   */
  constructor({ status, code, message, details, requestId }) {
    super(message);
    this.name = "ApiError";
    /** HTTP status; 0 when the server was never reached. */
    this.status = status;
    /** The envelope's error code, e.g. `VALIDATION_ERROR`, or `NETWORK_ERROR`. */
    this.code = code;
    /** Field errors: a list of `{field, message}` for validation errors. */
    this.details = details ?? null;
    /** The request id the server logged, to quote when reporting a problem. */
    this.requestId = requestId ?? null;
  }

  /** @returns {{field: string, message: string}[]} */
  get fieldErrors() {
    if (!Array.isArray(this.details)) return [];
    return this.details.filter(
      /** @param {any} item */ (item) => item && typeof item.field === "string" && typeof item.message === "string",
    );
  }

  get isNetwork() {
    return this.status === 0;
  }
}

/**
 * Build an ApiError from a failed response (its body may be anything).
 * @param {Response} response
 * @param {unknown} body
 */
export function errorFromResponse(response, body) {
  const envelope = /** @type {{error?: {code?: unknown, message?: unknown, details?: unknown}, meta?: {requestId?: unknown}}} */ (
    body && typeof body === "object" ? body : {}
  );
  const error = envelope.error ?? {};
  const requestId = typeof envelope.meta?.requestId === "string" ? envelope.meta.requestId : response.headers.get("X-Request-ID");
  return new ApiError({
    status: response.status,
    code: typeof error.code === "string" ? error.code : `HTTP_${response.status}`,
    message: typeof error.message === "string" ? error.message : response.statusText || "The server answered with an error.",
    details: error.details,
    requestId,
  });
}

/** @param {unknown} cause */
export function networkError(cause) {
  const error = new ApiError({
    status: 0,
    code: "NETWORK_ERROR",
    message: "Cannot reach the server. Check your connection and try again.",
  });
  error.cause = cause;
  return error;
}

// Every error fact, once: what each row failure code means (where it is decided, whether a retry
// can fix it, whether it says LiveDesk is in trouble), the exit codes, and the one base class the
// importer's own errors share. Classification, the outage breaker, the summary and the report all
// read these tables; none of them keeps a list of its own.

/** Exit codes, the contract scripts and cron rules depend on. */
export const EXIT = {
  /** Every row imported (dry run: every row valid). */
  ok: 0,
  /** Finished, with rows in the failures file. */
  rowsFailed: 1,
  /** Bad flag, configuration or input file: nothing was sent. */
  usage: 2,
  /** Stopped early (credentials refused, unknown inbox, LiveDesk unreachable, a write failed): finish with --resume. */
  stopped: 3,
  /** Ctrl-C. */
  sigint: 130,
  /** SIGTERM. */
  sigterm: 143,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Where a failure is decided: before anything is sent (the file, the map stage) or by sending. */
export type FailureStage = 'source' | 'map' | 'send';

interface ErrorFact {
  stage: FailureStage;
  /** A retry (after backoff, or by --resume) can fix it: the row's data is not the problem. */
  retryable: boolean;
  /** Many of these in a row mean LiveDesk, or the way to it, is down: the breaker counts them. */
  outage: boolean;
  /** What it means, for people (report legend, docs). */
  text: string;
}

/**
 * Stable codes written to the failures file's `_error` column. Scripts branch on them: add, never
 * rename. Every failed row carries exactly one; a failed row makes the exit code 1.
 */
export const ROW_ERRORS = {
  invalid_email: { stage: 'map', retryable: false, outage: false, text: "the email fails LiveDesk's rule" },
  invalid_phone: { stage: 'map', retryable: false, outage: false, text: 'the phone is not a valid number (E.164 after normalization)' },
  invalid_avatar_url: { stage: 'map', retryable: false, outage: false, text: 'avatar_url is not an http(s) URL' },
  no_contact_data: { stage: 'map', retryable: false, outage: false, text: 'none of name, email, phone_number, identifier' },
  malformed_row: { stage: 'source', retryable: false, outage: false, text: 'the CSV row itself is broken (field count, quoting, size, bytes)' },
  duplicate_in_file: { stage: 'map', retryable: false, outage: false, text: "an earlier row of the same file has the same email, phone or identifier" },
  rejected: { stage: 'send', retryable: false, outage: false, text: "LiveDesk answered 4xx for this row's data" },
  server_error: { stage: 'send', retryable: true, outage: true, text: 'LiveDesk answered 5xx after every retry' },
  rate_limited: { stage: 'send', retryable: true, outage: true, text: 'still 429 after every retry' },
  network: { stage: 'send', retryable: true, outage: true, text: 'connection refused or reset after every retry' },
  timeout: { stage: 'send', retryable: true, outage: true, text: 'no answer within --timeout after every retry' },
  bad_response: { stage: 'send', retryable: false, outage: false, text: 'a 2xx whose body carries no contact ID' },
  unconfirmed: { stage: 'send', retryable: false, outage: false, text: 'a row with no unique key whose request may or may not have created it' },
  already_exists: { stage: 'send', retryable: false, outage: false, text: 'LiveDesk has this contact and --on-existing fail was chosen' },
  phone_taken: { stage: 'send', retryable: false, outage: false, text: "the row's phone number is held by another LiveDesk contact whose email or identifier disagree (--phone-taken fail)" },
  key_conflict: { stage: 'send', retryable: false, outage: false, text: "a LiveDesk contact holds the row's email or identifier but disagrees on the other key: not the row's contact" },
  not_found: { stage: 'send', retryable: false, outage: false, text: 'the LiveDesk contact to update no longer exists (deleted after it was found)' },
  id_reused: { stage: 'send', retryable: false, outage: false, text: 'LiveDesk answered a create with a contact ID this run already recorded for another row: check LiveDesk' },
} as const satisfies Record<string, ErrorFact>;

export type ErrorCode = keyof typeof ROW_ERRORS;
export const ERROR_CODES = Object.keys(ROW_ERRORS) as ErrorCode[];

type CodesWhere<K extends keyof ErrorFact, V> = { [C in ErrorCode]: (typeof ROW_ERRORS)[C][K] extends V ? C : never }[ErrorCode];
/** The codes a retry can fix: what classification may answer with `retry`. */
export type RetryCode = CodesWhere<'retryable', true>;

export const isRetryable = (code: ErrorCode): code is RetryCode => ROW_ERRORS[code].retryable;
export const isOutage = (code: ErrorCode): boolean => ROW_ERRORS[code].outage;
/** Decided from the file alone, before anything is sent (the report's "data" failures). */
export const isDataError = (code: ErrorCode): boolean => ROW_ERRORS[code].stage !== 'send';

/**
 * The importer's own errors: a stable `code` to branch on (never the message), the `cause` kept
 * for logs, and a message that says what happened, where, and what to do.
 */
export class ImporterError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The run cannot start as asked: a bad flag, job file, credentials, input file, mapping, lock or
 * journal. Nothing has been sent; the CLI prints the message and exits 2. Raised before the first
 * request only: a problem found later stops the run instead (exit 3).
 */
export class UsageError extends ImporterError {
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'usage', message, options);
  }
}

package org.fedbeam.pipelines.protocol;

/**
 * A message or request that is refused. {@link #reason()} is safe to send across the boundary: it
 * says why without revealing data; the message ({@link #getMessage()}) may carry local detail for
 * the party's own audit log.
 */
public final class Rejected extends Exception {
  private final String reason;
  private final RefusalReason code;
  private final String detail;

  public Rejected(String reason, String detail) {
    super(detail == null ? reason : reason + ": " + detail);
    this.reason = reason;
    this.code = null;
    this.detail = detail;
  }

  /**
   * A refusal a silo may send: {@code code} is the only thing that leaves the silo;
   * {@code detail} stays in its audit log.
   */
  public Rejected(RefusalReason code, String detail) {
    super(detail == null ? code.text() : code.text() + ": " + detail);
    this.reason = code.text();
    this.code = code;
    this.detail = detail;
  }

  /** The local detail (may be null): what exactly was wrong, for the party's own records. */
  public String detail() {
    return detail;
  }

  /** The fixed reason of a silo-side refusal, or null for a rejection that never leaves its party. */
  public RefusalReason code() {
    return code;
  }

  public Rejected(String reason) {
    this(reason, null);
  }

  /** The short reason, fit for the other party. */
  public String reason() {
    return reason;
  }
}

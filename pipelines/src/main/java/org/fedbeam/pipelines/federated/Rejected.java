package org.fedbeam.pipelines.federated;

/**
 * A message or request that is refused. {@link #reason()} is safe to send across the boundary: it
 * says why without revealing data; the message ({@link #getMessage()}) may carry local detail for
 * the party's own audit log.
 */
public final class Rejected extends Exception {
  private final String reason;

  public Rejected(String reason, String detail) {
    super(detail == null ? reason : reason + ": " + detail);
    this.reason = reason;
  }

  public Rejected(String reason) {
    this(reason, null);
  }

  /** The short reason, fit for the other party. */
  public String reason() {
    return reason;
  }
}

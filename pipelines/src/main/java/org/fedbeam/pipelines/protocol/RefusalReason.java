package org.fedbeam.pipelines.protocol;

/**
 * The only reasons a silo's signed refusal may carry across its boundary: a small fixed set, so a
 * refusal never depends on the content, the size or the existence of any file other than the
 * request itself. The detail (which field, which value, which file) goes to the silo's own audit
 * log only.
 */
public enum RefusalReason {
  /** The request is malformed, inconsistent with its place in the exchange, or addressed elsewhere. */
  INVALID_REQUEST("the request is invalid"),
  /** A replay: its nonce, round or global model was already used in this job. */
  REPLAY("the request replays an earlier one"),
  /** The pipeline or the model kind is not approved by the silo's policy. */
  NOT_APPROVED("the pipeline or model is not approved by this silo"),
  /** A hyperparameter, the model size, the deadline or the retry count is outside the silo's policy. */
  OUTSIDE_POLICY("the request is outside this silo's policy"),
  /** The silo's request quota (per job or per day) is used up. */
  QUOTA("this silo's request quota is used up"),
  /** Training would exceed the silo's lifetime differential privacy budget, or the request lacks DP the silo requires. */
  PRIVACY_BUDGET("the request would exceed this silo's privacy budget or lacks the privacy it requires"),
  /** The request's deadline has passed. */
  EXPIRED("the request's deadline has passed"),
  /** The global model that goes with the request is missing, corrupt, or not the one signed. */
  GLOBAL_MODEL("the global model of the request cannot be used"),
  /** The egress guard stopped the update. */
  GUARD("the silo's egress guard stopped the update"),
  /** Anything else that went wrong inside the silo. */
  SILO_ERROR("the silo could not process the request");

  private final String text;

  RefusalReason(String text) {
    this.text = text;
  }

  /** The text that leaves the silo in a refusal. */
  public String text() {
    return text;
  }
}

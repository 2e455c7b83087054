package org.fedbeam.pipelines.federated;

import org.fedbeam.model.ModelFormat;
import org.fedbeam.model.ModelFormatException;
import org.fedbeam.model.Parameters;
import org.fedbeam.pipelines.protocol.Exchange;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.RefusalReason;
import org.fedbeam.pipelines.protocol.Rejected;
import org.fedbeam.pipelines.rounds.SiloPipeline;
import org.fedbeam.transforms.Artifacts;

/**
 * The silo agent's checks of a signed round request, before anything is admitted or trained: the
 * request against the policy in force, against the job's record of what was answered (replays),
 * and the global model it names against the digest it signs. Each check either passes or throws a
 * {@link Rejected} with one fixed {@link RefusalReason} (what the submitter sees) and a detail
 * that names what was wrong (for the silo's audit log only). The checks write nothing.
 */
final class RequestChecks {
  private RequestChecks() {}

  /**
   * Refuses a request outside the policy, each with its fixed {@link RefusalReason} (the detail
   * goes to the audit log only): its place, its silo, retries, every hyperparameter and the model's
   * size ({@link TrainingBounds}), its DP settings ({@link PrivacyPolicy}), the deadline, the round
   * limit and the approved pipeline and model kind.
   */
  static void checkRequest(Messages.RoundRequest r, Exchange.Slot slot, SiloPolicy policy) throws Rejected {
    if (!r.jobId().equals(slot.jobId()) || r.round() != slot.round() || r.attempt() != slot.attempt()) {
      throw new Rejected(RefusalReason.INVALID_REQUEST, "the request does not match its place in the exchange: body says"
          + " job " + r.jobId() + " round " + r.round() + " attempt " + r.attempt());
    }
    if (!r.silo().equals(policy.silo())) {
      throw new Rejected(RefusalReason.INVALID_REQUEST, "the request is addressed to another silo: " + r.silo());
    }
    if (!policy.approvedPipelines().contains(r.pipeline())) {
      throw new Rejected(RefusalReason.NOT_APPROVED, "the pipeline is not approved by this silo's policy: "
          + r.pipeline().name() + " " + r.pipeline().version() + " " + r.pipeline().sha256());
    }
    if (!r.pipeline().equals(SiloPipeline.REF)) {
      throw new Rejected(RefusalReason.NOT_APPROVED, "the approved pipeline is not the one this silo runs: "
          + SiloPipeline.REF);
    }
    if (!policy.approvedModels().contains(r.spec().kind())) {
      throw new Rejected(RefusalReason.NOT_APPROVED, "the model kind is not approved by this silo's policy: "
          + r.spec().describe());
    }
    checkLimits(r, policy);
    policy.training().check(r.spec(), r.config());
    policy.privacy().check(r.config().privacy());
  }

  /** The deadline, retries, round limit and model size: refused as expired or outside the policy. */
  private static void checkLimits(Messages.RoundRequest r, SiloPolicy policy) throws Rejected {
    if (System.currentTimeMillis() > r.deadlineMillis()) {
      throw new Rejected(RefusalReason.EXPIRED, "deadline "
          + java.time.Instant.ofEpochMilli(r.deadlineMillis()));
    }
    if (r.attempt() > policy.maxAttemptsPerRound()) {
      throw new Rejected(RefusalReason.OUTSIDE_POLICY, "the request is a retry beyond what the policy allows: attempt "
          + r.attempt() + " > max_attempts_per_round " + policy.maxAttemptsPerRound());
    }
    if (r.deadlineMillis() - System.currentTimeMillis() > policy.maxDeadlineSeconds() * 1000) {
      throw new Rejected(RefusalReason.OUTSIDE_POLICY, "the request's deadline is further ahead than the policy allows: "
          + java.time.Instant.ofEpochMilli(r.deadlineMillis()));
    }
    if (r.round() > policy.maxRoundsPerJob()) {
      throw new Rejected(RefusalReason.OUTSIDE_POLICY, "the job asks for more rounds than the policy allows: round "
          + r.round() + " > max_rounds_per_job " + policy.maxRoundsPerJob());
    }
    if (r.spec().parameterCount() > policy.maxParameters()) {
      throw new Rejected(RefusalReason.OUTSIDE_POLICY, "the model is larger than this silo's policy allows: "
          + r.spec().parameterCount() + " parameters > " + policy.maxParameters());
    }
  }

  /**
   * Refuses ({@link RefusalReason#REPLAY}) a request whose nonce the job's state records at another
   * place, or whose round is older than one already answered.
   */
  static void checkReplay(Messages.RoundRequest r, SiloAgent.JobState state, String place) throws Rejected {
    String seenAt = state.nonces().get(r.nonce());
    if (seenAt != null && !seenAt.equals(place)) {
      throw new Rejected(RefusalReason.REPLAY, "replayed request: its nonce was used before, first seen at " + seenAt);
    }
    if (r.round() < state.lastRound()) {
      throw new Rejected(RefusalReason.REPLAY, "replayed request: a later round was already answered: round "
          + r.round() + " < " + state.lastRound());
    }
  }

  /**
   * The request's global model, read from its slot in the exchange, if its SHA-256 is the one
   * signed in the request and it decodes to the requested model's shape; else refused
   * ({@link RefusalReason#GLOBAL_MODEL}).
   */
  static Parameters verifiedGlobalModel(Messages.RoundRequest r, Exchange.Slot slot, Exchange exchange)
      throws Rejected {
    // missing, a link, too large, unreadable, not the one signed, corrupt: one reason leaves, the detail stays
    String uri = exchange.globalModel(slot);
    byte[] bytes = exchange.read(uri, "global model", Exchange.modelFileLimit(r.spec()), RefusalReason.GLOBAL_MODEL);
    if (!Artifacts.sha256Hex(bytes).equals(r.modelSha256())) {
      throw new Rejected(RefusalReason.GLOBAL_MODEL, "the global model does not match the digest signed in the request: " + uri);
    }
    Parameters global;
    try {
      global = ModelFormat.decode(bytes, uri);
    } catch (ModelFormatException e) {
      throw new Rejected(RefusalReason.GLOBAL_MODEL, "the global model file is corrupt: " + e.getMessage());
    }
    if (!global.spec().equals(r.spec())) {
      throw new Rejected(RefusalReason.GLOBAL_MODEL, "the global model's shape is not the requested model's: "
          + global.spec().describe());
    }
    return global;
  }
}

package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.fedbeam.pipelines.protocol.Exchange;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.RefusalReason;
import org.fedbeam.pipelines.protocol.Rejected;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.pipelines.rounds.SiloPipeline;
import org.fedbeam.transforms.Artifacts;

/**
 * The silo agent's admission of verified requests and its record of each job
 * ({@link SiloAgent.JobState}, in the silo's private state). It guarantees that within a job each
 * global model is trained at most once and each round at most once (a round's randomness is the
 * round's), that a retry of a training already done is answered from its cached update, re-signed,
 * never trained again; and that a first training is admitted only within the per-job and per-day
 * quotas and, under DP, within the lifetime privacy budget, charged before it runs.
 */
final class JobLedger {
  /**
   * What to do with a verified request: train it and report {@code epsilon} (the lifetime epsilon
   * after it; NaN without DP), or, when {@code cached} is set, re-send the update trained at
   * {@code trainedAt} for the same global model.
   */
  record Admission(double epsilon, LocalTraining.Staged cached, String trainedAt) {}

  private final String stateDir;
  private final String silo;
  private final PrivacyLedger ledger;
  private final DailyQuota quota;

  JobLedger(String stateDir, String silo) {
    this.stateDir = stateDir;
    this.silo = silo;
    this.ledger = new PrivacyLedger(stateDir);
    this.quota = new DailyQuota(stateDir, java.time.Clock.systemUTC());
  }

  /** Where a request sits, as the job state records it: independent of how the exchange's URI is spelled. */
  static String place(Exchange.Slot slot) {
    return String.format("%s/r%04d-a%d", slot.jobId(), slot.round(), slot.attempt());
  }

  /** The job's state as recorded now (empty for a job not seen before). */
  SiloAgent.JobState read(String jobId) {
    return SiloAgent.JobState.read(stateDir, jobId);
  }

  /** Whether the job's state records the slot as answered (an unreadable state: no, and answer() refuses). */
  boolean answeredBefore(Exchange.Slot slot) {
    try {
      return read(slot.jobId()).answered().contains(place(slot));
    } catch (RuntimeException e) {
      return false;
    }
  }

  /**
   * Admits a verified request of {@code state}'s job at {@code place}: the first training of its
   * global model within the quotas and budget (recorded in {@code state}, written by the caller),
   * a training charged before and cut short by a crash (again, not charged again), or a retry of
   * a training already done (its cached update). Refuses a global model trained with other settings
   * ({@link RefusalReason#REPLAY}) or stopped by the egress guard ({@link RefusalReason#GUARD}).
   */
  Admission admit(Messages.RoundRequest r, SiloAgent.JobState state, String place, SiloPolicy policy)
      throws Rejected {
    ObjectNode trained = state.trained().get(r.modelSha256());
    if (trained == null) {
      return new Admission(admitFirst(r, state, place, policy), null, null);
    }
    // this global model was trained in this job before: only a retry of that very training is answered
    checkSameTraining(r, trained);
    if (trained.has("update_sha256")) {
      return new Admission(Double.NaN, cached(trained), trained.path("place").asText());
    }
    if (trained.has("refused")) {
      throw new Rejected(RefusalReason.GUARD, "the egress guard stopped this global model's training at "
          + trained.path("place").asText() + "; it is not trained again");
    }
    // charged, then cut short by a crash: trained again with the same seed (the same answer), not charged again
    return new Admission(trained.path("epsilon_spent").asDouble(Double.NaN), null, null);
  }

  /**
   * Admits the first training of a global model in a job: within the per-job and per-day quotas,
   * and, under DP, within the lifetime privacy budget, charged to the ledger now, before training
   * (a crash after this costs budget, it never gives a free training). Records the training in
   * {@code state} (written by the caller). Returns the lifetime epsilon after it (NaN without DP).
   */
  private double admitFirst(Messages.RoundRequest r, SiloAgent.JobState state, String place, SiloPolicy policy)
      throws Rejected {
    // the seed is the silo's for (job, round): a second training in a round would reuse its sampling and its
    // noise, and the difference of the two updates would carry none (DP composition assumes fresh noise)
    for (ObjectNode t : state.trained().values()) {
      if (t.path("round").asInt() == r.round()) {
        throw new Rejected(RefusalReason.REPLAY, "round " + r.round() + " of job " + r.jobId() + " was trained at "
            + t.path("place").asText() + " on another global model; a round is trained once (its randomness is"
            + " the round's), not again for " + r.modelSha256());
      }
    }
    if (state.trained().size() >= policy.training().maxRequestsPerJob()) {
      throw new Rejected(RefusalReason.QUOTA, "the silo trained " + state.trained().size() + " times in job "
          + r.jobId() + ", max_requests_per_job " + policy.training().maxRequestsPerJob());
    }
    quota.check(policy.training().maxRequestsPerDay());
    double epsilon = Double.NaN;
    if (r.config().privacy() != null) {
      int rows = org.fedbeam.transforms.TablePreparation.rows(policy.data(), "silo " + policy.silo());
      epsilon = ledger.charge(policy.privacy(), r.config(), rows, place);
    } else {
      ledger.countNonPrivate(place);
    }
    quota.count();
    ObjectNode entry = Signed.JSON.createObjectNode();
    entry.put("place", place);
    entry.put("round", r.round());
    entry.put("settings", settings(r));
    if (!Double.isNaN(epsilon)) {
      entry.put("epsilon_spent", epsilon);
    }
    state.trained().put(r.modelSha256(), entry);
    return epsilon;
  }

  /** What a training of one global model is: its round, the model and every training setting. */
  private static String settings(Messages.RoundRequest r) {
    ObjectNode n = r.toJson();
    return "round " + r.round() + " model " + n.get("model") + " train " + n.get("train");
  }

  /** Refuses ({@link RefusalReason#REPLAY}) anything but a retry of the training already done on this global model. */
  private static void checkSameTraining(Messages.RoundRequest r, JsonNode trained) throws Rejected {
    if (!settings(r).equals(trained.path("settings").asText())) {
      throw new Rejected(RefusalReason.REPLAY, "global model " + r.modelSha256() + " was trained in this job at "
          + trained.path("place").asText() + " (" + trained.path("settings").asText() + "); it is not trained again"
          + " for " + settings(r));
    }
  }

  /** The update already computed for a global model, as staged then: fails if it changed since. */
  private static LocalTraining.Staged cached(JsonNode trained) {
    String staging = trained.path("staging").asText();
    byte[] weights = Artifacts.read(Artifacts.resolve(staging, SiloPipeline.UPDATE_FILE), "the update trained before");
    String sha = Artifacts.sha256Hex(weights);
    if (!sha.equals(trained.path("update_sha256").asText())) {
      throw new IllegalStateException("the update trained at " + trained.path("place").asText() + " in " + staging
          + " has changed since (sha256 " + sha + ")");
    }
    return new LocalTraining.Staged(weights, sha, (ObjectNode) trained.get("metadata").deepCopy(), staging);
  }

  /** Adds the outcome of a training (its update, or the guard's refusal) to the job state's record of it. */
  void recordOutcome(String jobId, String modelSha, java.util.function.Consumer<ObjectNode> outcome) {
    SiloAgent.JobState state = read(jobId);
    outcome.accept(state.trained().get(modelSha));
    state.write(stateDir, jobId);
  }

  /** Records the request as started at its slot and answered (only for requests verified and accepted there). */
  void finish(Exchange.Slot slot, Messages.RoundRequest r) {
    if (!r.jobId().equals(slot.jobId()) || !r.silo().equals(silo)) {
      return;
    }
    SiloAgent.JobState state = read(slot.jobId());
    state.started(r.nonce(), place(slot), r.round());
    state.answered().add(place(slot));
    state.write(stateDir, slot.jobId());
  }

  /** Records a request accepted for training at its slot: its nonce and round, with what {@link #admit} added. */
  void started(SiloAgent.JobState state, Messages.RoundRequest r, Exchange.Slot slot) {
    state.started(r.nonce(), place(slot), r.round());
    state.write(stateDir, slot.jobId());
  }
}

package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import org.fedbeam.model.Parameters;
import org.fedbeam.pipelines.protocol.Exchange;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.RefusalReason;
import org.fedbeam.pipelines.protocol.Rejected;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.transforms.Errors;

/**
 * Answers one signed round request of the silo agent in its slot of the exchange: checks it
 * ({@link RequestChecks}), admits it ({@link JobLedger}), trains it ({@link LocalTraining}) and
 * publishes the update that passed the egress guard, or re-sends the update already trained for
 * its global model, or refuses it. It guarantees that every request taken up gets exactly one
 * signed answer, the signed message written last (after the weights), with a reason from the
 * fixed {@link RefusalReason}s and the detail in the audit log only; that the job state records a
 * request only once it is verified and accepted for its own slot; and that every decision leaves
 * an audit line (a training's, before anything leaves).
 */
final class RoundAnswerer {
  private final LivePolicy live;
  private final Exchange exchange;
  private final JobLedger jobs;
  private final LocalTraining training;
  private final Audit audit;
  private final PrintStream out;

  RoundAnswerer(LivePolicy live, Exchange exchange, JobLedger jobs, LocalTraining training, Audit audit,
      PrintStream out) {
    this.live = live;
    this.exchange = exchange;
    this.jobs = jobs;
    this.training = training;
    this.audit = audit;
    this.out = out;
  }

  private SiloPolicy policy() {
    return live.policy();
  }

  /**
   * Answers one signed request: verified ({@link RequestChecks}), admitted ({@link JobLedger}),
   * then trained and published, or re-sent from its cached update; else refused. Every outcome is
   * a signed answer and an audit line.
   */
  void answer(Signed.Opened opened, Exchange.Slot slot) {
    Messages.RoundRequest request = null;
    boolean accepted = false;
    ObjectNode event = event(slot);
    try {
      SiloPolicy policy = policy();
      event.put("submitter", policy.submitterNames().get(opened.signer()));
      event.put("submitter_key", opened.signer());
      request = Messages.RoundRequest.fromJson(opened.body());
      RequestChecks.checkRequest(request, slot, policy);
      TableRequests.Verified prepared = TableRequests.verify(request, slot, exchange, policy);
      SiloAgent.JobState state = jobs.read(slot.jobId());
      RequestChecks.checkReplay(request, state, JobLedger.place(slot));
      Parameters global = RequestChecks.verifiedGlobalModel(request, slot, exchange);
      JobLedger.Admission admission = jobs.admit(request, state, JobLedger.place(slot), policy);
      if (admission.cached() != null) {
        resend(request, slot, admission, event);
        return;
      }
      // verified and accepted for its own slot: only now is its nonce recorded
      jobs.started(state, request, slot);
      accepted = true;
      event.put("decision", "accepted");
      if (prepared != null) { // what the silo folded, dropped and clamped in its table (counts only)
        event.set("preparation", prepared.auditJson());
      }
      audit.record(event.deepCopy());
      out.printf("%s: round %d attempt %d of job %s accepted, training%n", policy.silo(), slot.round(), slot.attempt(),
          slot.jobId());
      out.flush();
      trainAndPublish(request, slot, global, admission.epsilon(), prepared, event);
    } catch (Rejected e) {
      refuse(slot, request, accepted, e, event);
    } catch (RuntimeException e) {
      // anything unexpected still gets an answer, and the agent goes on with the next request
      refuse(slot, request, accepted, new Rejected(RefusalReason.SILO_ERROR,
          Errors.messages(e)), event);
    }
  }

  /** Trains an accepted request, records the outcome in the job state, then publishes the update. */
  private void trainAndPublish(Messages.RoundRequest request, Exchange.Slot slot, Parameters global, double epsilon,
      TableRequests.Verified prepared, ObjectNode event) throws Rejected {
    LocalTraining.Staged staged;
    try {
      staged = training.train(request, slot, global, epsilon, policy(), live.plan(),
          prepared == null ? null : prepared.preparation());
    } catch (Rejected e) {
      if (e.code() == RefusalReason.GUARD) {
        jobs.recordOutcome(slot.jobId(), request.modelSha256(), o -> o.put("refused", e.getMessage()));
      }
      throw e;
    }
    jobs.recordOutcome(slot.jobId(), request.modelSha256(), o -> {
      o.put("update_sha256", staged.sha256());
      o.put("staging", staged.staging());
      o.set("metadata", staged.metadata().deepCopy());
    });
    // recorded before anything leaves, so a crash while publishing still leaves a line for it
    ObjectNode publishing = event.deepCopy();
    publishing.put("decision", "publishing update");
    publishing.put("update_sha256", staged.sha256());
    audit.record(publishing);
    publishUpdate(request, slot, staged);
    event.put("decision", "update sent");
    event.put("update_sha256", staged.sha256());
    event.set("metadata", staged.metadata());
    audit.record(event);
    out.printf("%s: round %d attempt %d of job %s: update sent (%s samples)%n", policy().silo(), slot.round(),
        slot.attempt(), slot.jobId(), staged.metadata().path("samples").asText());
    out.flush();
  }

  /** Answers a retry with the update already computed for its global model, re-signed for this request: no training. */
  private void resend(Messages.RoundRequest r, Exchange.Slot slot, JobLedger.Admission admission, ObjectNode event) {
    LocalTraining.Staged staged = admission.cached();
    event.put("decision", "update re-sent");
    event.put("trained_at", admission.trainedAt());
    event.put("update_sha256", staged.sha256());
    publishUpdate(r, slot, staged);
    audit.record(event);
    out.printf("%s: round %d attempt %d of job %s: the update trained at %s re-sent, not trained again%n",
        policy().silo(), slot.round(), slot.attempt(), slot.jobId(), admission.trainedAt());
    out.flush();
  }

  private void publishUpdate(Messages.RoundRequest r, Exchange.Slot slot, LocalTraining.Staged staged) {
    java.util.Map<String, Double> metadata = new java.util.LinkedHashMap<>();
    staged.metadata().fields().forEachRemaining(f -> metadata.put(f.getKey(), f.getValue().asDouble()));
    Messages.UpdateReport report = new Messages.UpdateReport(r.jobId(), r.round(), r.nonce(), policy().silo(),
        r.modelSha256(), staged.sha256(), metadata);
    exchange.write(exchange.updateWeights(slot), staged.weights());
    exchange.write(exchange.answer(slot), Signed.seal(Messages.UPDATE, report.toJson(), live.identity()));
    jobs.finish(slot, r);
  }

  /**
   * Answers with a signed refusal whose reason is one of the fixed {@link RefusalReason}s (a
   * rejection without one is an invalid request: a body that does not parse); the detail goes to
   * the audit log only. Only a request {@code accepted} for its own slot is recorded in the job's
   * state, so a copy of a genuine request in a wrong place cannot burn its nonce.
   */
  private void refuse(Exchange.Slot slot, Messages.RoundRequest request, boolean accepted, Rejected e, ObjectNode event) {
    RefusalReason code = e.code() != null ? e.code() : RefusalReason.INVALID_REQUEST;
    Messages.Refusal refusal = new Messages.Refusal(slot.jobId(), slot.round(), request == null ? "" : request.nonce(),
        policy().silo(), request == null ? "" : request.modelSha256(), code.text());
    // weights published before a crash, for a request now refused, must not stay next to the refusal
    exchange.delete(exchange.updateWeights(slot));
    exchange.write(exchange.answer(slot), Signed.seal(Messages.REFUSAL, refusal.toJson(), live.identity()));
    if (request != null && accepted) {
      jobs.finish(slot, request);
    }
    event.put("decision", "refused");
    event.put("reason", code.name());
    event.put("detail", e.getMessage());
    audit.record(event);
    out.printf("%s: round %d attempt %d of job %s refused: %s%n", policy().silo(), slot.round(), slot.attempt(),
        slot.jobId(), e.getMessage());
    out.flush();
  }

  /** A new audit event of this silo, for {@code slot} (null: of the agent, not of one request). */
  ObjectNode event(Exchange.Slot slot) {
    ObjectNode e = Signed.JSON.createObjectNode();
    e.put("silo", policy().silo());
    if (slot == null) {
      return e;
    }
    e.put("job_id", slot.jobId());
    e.put("round", slot.round());
    e.put("attempt", slot.attempt());
    return e;
  }
}

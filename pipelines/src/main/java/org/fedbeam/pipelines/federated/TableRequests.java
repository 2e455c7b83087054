package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.fedbeam.data.table.Table;
import org.fedbeam.preprocess.Preprocessing;
import org.fedbeam.pipelines.protocol.Exchange;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.RefusalReason;
import org.fedbeam.pipelines.protocol.Rejected;
import org.fedbeam.pipelines.rounds.SiloPipeline;
import org.fedbeam.transforms.Artifacts;
import org.fedbeam.transforms.SiloData;
import org.fedbeam.transforms.TablePreparation;

/**
 * The silo agent's check of the preprocessing a round request brings, for a silo whose data is a
 * prepared table (told by the file's magic number). Such a request must name a preprocessing
 * ({@code preprocessing_sha256}) published beside its global model; a request for a silo with a
 * numeric shard must not. The file must be the one signed (its SHA-256), a valid preprocessing whose
 * inputs and classes are the requested model's, and within the policy's {@code preprocessing} bounds
 * ({@link PreprocessingPolicy}) against this silo's table: every column it names is here, with its
 * type. Each failure is a {@link Rejected} with a fixed reason; the detail, naming the silo, the file
 * and the column, goes to the audit log only. A verified preprocessing is copied into the silo's
 * private state and applied there ({@link TablePreparation}, folding rare values and clamping), so
 * the audit can say what the silo folded before anything trains.
 */
final class TableRequests {
  /** The largest preprocessing file read from the exchange. */
  static final long MAX_BYTES = 8L << 20;

  private TableRequests() {}

  /** A verified preprocessing: what the silo pipeline reads, and what the silo's preparation changed. */
  record Verified(SiloPipeline.Preparation preparation, TablePreparation.Report report) {
    ObjectNode auditJson() {
      return report.toJson();
    }
  }

  /** Where the preprocessing of a request's slot is published: beside its global model. */
  static String preprocessingUri(Exchange exchange, Exchange.Slot slot) {
    String global = exchange.globalModel(slot);
    return global.substring(0, global.length() - "-global.fbm".length()) + "-preprocessing.fbpp";
  }

  /**
   * Checks the request's preprocessing against this silo's data and policy; null for a silo with a
   * numeric shard and a request without one.
   */
  static Verified verify(Messages.RoundRequest r, Exchange.Slot slot, Exchange exchange, SiloPolicy policy)
      throws Rejected {
    String owner = "silo " + policy.silo();
    boolean table;
    try {
      table = TablePreparation.isTable(policy.data(), owner);
    } catch (RuntimeException e) {
      throw new Rejected(RefusalReason.SILO_ERROR, e.getMessage());
    }
    if (!table) {
      if (r.preprocessingSha256() != null) {
        throw new Rejected(RefusalReason.OUTSIDE_POLICY, "this silo's data is a numeric shard (" + policy.data()
            + "): a request with a preprocessing does not apply to it");
      }
      return null;
    }
    if (r.preprocessingSha256() == null) {
      throw new Rejected(RefusalReason.OUTSIDE_POLICY, "this silo's data is a prepared table: the request needs a"
          + " preprocessing");
    }
    String uri = preprocessingUri(exchange, slot);
    byte[] bytes = exchange.read(uri, "preprocessing", MAX_BYTES, RefusalReason.INVALID_REQUEST);
    if (!Artifacts.sha256Hex(bytes).equals(r.preprocessingSha256())) {
      throw new Rejected(RefusalReason.INVALID_REQUEST, "the preprocessing does not match the digest signed in the"
          + " request: " + uri);
    }
    Preprocessing pre;
    try {
      pre = Preprocessing.fromJson(bytes, uri);
    } catch (IllegalArgumentException e) {
      throw new Rejected(RefusalReason.OUTSIDE_POLICY, owner + ": the request's preprocessing is refused: "
          + e.getMessage());
    }
    if (pre.inputs() != r.spec().inputs() || pre.classes().size() != r.spec().classes()) {
      throw new Rejected(RefusalReason.OUTSIDE_POLICY, owner + ": the preprocessing gives " + pre.inputs() + " inputs and "
          + pre.classes().size() + " classes, the requested model " + r.spec().describe() + " takes "
          + r.spec().inputs() + " and " + r.spec().classes());
    }
    String prepared = Artifacts.resolve(policy.state(), "prepared");
    String copy = Artifacts.resolve(prepared, r.preprocessingSha256() + ".json");
    try {
      Table rows = SiloData.loadTable(policy.data(), owner);
      TablePreparation.check(rows, pre, policy.preprocessing(), owner, policy.data());
      Artifacts.requireNoLinks(policy.state(), copy);
      Artifacts.writeAtomically(copy, bytes);
      SiloPipeline.Preparation preparation = new SiloPipeline.Preparation(copy, policy.preprocessing(), prepared);
      return new Verified(preparation, preparation.prepare(policy.data(), owner).report());
    } catch (IllegalArgumentException e) {
      throw new Rejected(RefusalReason.OUTSIDE_POLICY, e.getMessage());
    }
  }
}

package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.fedbeam.data.Dataset;
import org.fedbeam.data.table.CategoricalColumn;
import org.fedbeam.data.table.Table;
import org.fedbeam.data.table.TableFormat;
import org.fedbeam.pipelines.protocol.Exchange;
import org.fedbeam.pipelines.protocol.Messages;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.pipelines.rounds.SiloPipeline;
import org.fedbeam.transforms.Artifacts;
import org.fedbeam.transforms.Errors;
import org.fedbeam.transforms.SiloData;

/**
 * What the silo agent checks once at start: whether its own data, keys, privacy ledger and exchange
 * can satisfy its policy at all. Each finding is a warning (the agent still starts) that names the
 * policy field and the figures, e.g. {@code policy min_samples is 100 but data /srv/silo/train.fbds has
 * 57 rows: every training request will be refused}; without them a provider would only see every
 * round refused, one request at a time. The checks:
 * <ul>
 *   <li>the data file ({@code data}) is missing or unreadable, as a numeric shard (FBDS) or a prepared
 *       table (FBTB), told by its magic number;</li>
 *   <li>it has fewer rows than {@code min_samples}, or fewer than {@code declared_samples};</li>
 *   <li>its label has fewer than 2 classes;</li>
 *   <li>no entry of {@code approved_pipelines} is this build's silo pipeline (its digest);</li>
 *   <li>no key of {@code trusted_submitters} is trusted now (window or revocation);</li>
 *   <li>DP is required and the lifetime budget ({@code differential_privacy max_epsilon}) is spent;</li>
 *   <li>the exchange cannot be listed or written.</li>
 * </ul>
 * The exchange check writes and deletes one small file, {@value #PROBE}, at the exchange's root; the
 * other checks only read. Nothing here crosses the silo's boundary but that empty probe.
 */
public final class AgentStartChecks {
  /** The file the exchange check writes and deletes at the exchange's root. */
  static final String PROBE = ".agent-start-check";
  private static final String REFUSED = ": every training request will be refused";

  private AgentStartChecks() {}

  /** This build's silo pipelines, which a policy's {@code approved_pipelines} should name. */
  static List<Messages.PipelineRef> buildPipelines() {
    return List.of(SiloPipeline.REF);
  }

  /** The warnings for {@code policy} at {@code now}, in a fixed order; empty if it can be satisfied. */
  public static List<String> check(SiloPolicy policy, Instant now) {
    List<String> warnings = new ArrayList<>();
    data(policy, warnings);
    pipelines(policy, warnings);
    keys(policy, now, warnings);
    budget(policy, warnings);
    exchange(policy, warnings);
    return List.copyOf(warnings);
  }

  /**
   * Prints each warning as a {@code warning: ...} line on {@code out} and, if there is any, records
   * them in the audit log as one {@code start checks} event.
   */
  static void report(List<String> warnings, SiloPolicy policy, Audit audit, PrintStream out) {
    if (warnings.isEmpty()) {
      return;
    }
    warnings.forEach(w -> out.println("warning: " + w));
    out.flush();
    ObjectNode event = Signed.JSON.createObjectNode();
    event.put("silo", policy.silo());
    event.put("decision", "start checks");
    ArrayNode list = event.putArray("warnings");
    warnings.forEach(list::add);
    audit.record(event);
  }

  /** What the data file holds, as far as the policy cares. */
  private record DataFacts(long rows, int classes, String label) {}

  private static void data(SiloPolicy p, List<String> warnings) {
    String uri = p.data();
    DataFacts facts;
    try {
      facts = facts(uri, "silo " + p.silo());
    } catch (RuntimeException e) {
      warnings.add("policy data " + uri + " cannot be read (" + Errors.messages(e) + ")" + REFUSED);
      return;
    }
    if (facts.rows() < p.minSamples()) {
      warnings.add("policy min_samples is " + p.minSamples() + " but data " + uri + " has " + facts.rows() + " rows"
          + REFUSED);
    }
    if (p.declaredSamples() > facts.rows()) {
      warnings.add("policy declared_samples is " + p.declaredSamples() + " but data " + uri + " has " + facts.rows()
          + " rows: the silo declares more samples than it holds");
    }
    if (facts.classes() < 2) {
      warnings.add("policy data " + uri + ": " + facts.label() + " has " + facts.classes() + " class"
          + (facts.classes() == 1 ? "" : "es") + " in " + facts.rows() + " rows, fewer than the 2 any approved model"
          + " needs: no training on it can learn anything");
    }
  }

  /** Rows and label classes of the shard or table at {@code uri}, told apart by its magic number. */
  private static DataFacts facts(String uri, String owner) {
    MatchResult.Metadata metadata = Artifacts.metadataOrNull(uri);
    if (metadata == null) {
      throw new IllegalArgumentException("it does not exist");
    }
    byte[] head = head(metadata);
    if (TableFormat.isTable(head)) {
      Table table = SiloData.loadTable(uri, owner);
      CategoricalColumn label = table.label();
      return new DataFacts(table.rows(), present(label), "its label '" + label.name() + "'");
    }
    if (!new String(head, StandardCharsets.US_ASCII).equals("FBDS")) {
      throw new IllegalArgumentException("it is neither a numeric shard (FBDS) nor a prepared table (FBTB):"
          + " bad magic number");
    }
    Dataset shard = SiloData.load(uri, owner);
    int classes = 0;
    for (int count : shard.labelCounts()) {
      classes += count > 0 ? 1 : 0;
    }
    return new DataFacts(shard.size(), classes, "its label column");
  }

  /** How many of the label's values occur in some row. */
  private static int present(CategoricalColumn label) {
    java.util.BitSet seen = new java.util.BitSet();
    for (int r = 0; r < label.rows(); r++) {
      if (!label.isMissing(r)) {
        seen.set(label.code(r));
      }
    }
    return seen.cardinality();
  }

  /** The file's first four bytes (fewer if it is shorter). */
  private static byte[] head(MatchResult.Metadata metadata) {
    try (ReadableByteChannel channel = FileSystems.open(metadata.resourceId())) {
      ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(4, metadata.sizeBytes()));
      while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
        // until the four bytes are in
      }
      return java.util.Arrays.copyOf(buffer.array(), buffer.position());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e.getMessage(), e);
    }
  }

  private static void pipelines(SiloPolicy p, List<String> warnings) {
    List<Messages.PipelineRef> approved = p.approvedPipelines();
    boolean any = false;
    boolean stale = false;
    for (Messages.PipelineRef build : buildPipelines()) {
      if (approved.contains(build)) {
        any = true;
        continue;
      }
      for (Messages.PipelineRef entry : approved) {
        if (entry.name().equals(build.name())) {
          stale = true;
          warnings.add("policy approved_pipelines names " + entry.name() + " " + entry.version() + " with sha256 "
              + entry.sha256() + " but this build's is " + build.version() + " with sha256 " + build.sha256()
              + ": its requests will be refused (NOT_APPROVED)");
        }
      }
    }
    if (!any && !stale) {
      warnings.add("policy approved_pipelines has " + approved.size() + " entr" + (approved.size() == 1 ? "y" : "ies")
          + " but none is this build's silo pipeline " + SiloPipeline.NAME + " " + SiloPipeline.VERSION + " sha256 "
          + SiloPipeline.definitionSha256() + REFUSED);
    }
  }

  private static void keys(SiloPolicy p, Instant now, List<String> warnings) {
    TrustedKeys trusted = p.trustedKeys();
    if (!trusted.at(now).isEmpty()) {
      return;
    }
    if (trusted.keys().isEmpty()) {
      warnings.add("policy trusted_submitters lists no key: every request will be moved aside unanswered");
      return;
    }
    List<String> why = new ArrayList<>();
    // by name: the policy's map keeps no order
    trusted.keys().entrySet().stream().sorted(java.util.Map.Entry.comparingByValue(
        java.util.Comparator.comparing(TrustedKeys.Entry::name))).forEach(k -> {
      String id = k.getKey();
      TrustedKeys.Entry e = k.getValue();
      if (trusted.revoked().contains(id)) {
        why.add(e.name() + " revoked in " + p.revocationList());
      } else if (e.notBefore() != null && now.isBefore(e.notBefore())) {
        why.add(e.name() + " not_before " + e.notBefore() + " not reached");
      } else {
        why.add(e.name() + " not_after " + e.notAfter() + " passed");
      }
    });
    warnings.add("policy trusted_submitters has " + trusted.keys().size() + " key" + (trusted.keys().size() == 1 ? "" : "s")
        + " but none is trusted at " + now + " (" + String.join("; ", why) + "): every request will be moved aside"
        + " unanswered");
  }

  private static void budget(SiloPolicy p, List<String> warnings) {
    PrivacyPolicy dp = p.privacy();
    if (!dp.required()) {
      return;
    }
    PrivacyLedger ledger = new PrivacyLedger(p.state());
    String where = Artifacts.resolve(p.state(), PrivacyLedger.FILE);
    double spent;
    try {
      spent = ledger.epsilon(dp.delta());
    } catch (RuntimeException e) {
      warnings.add("policy differential_privacy is required but the privacy ledger cannot be read ("
          + Errors.messages(e) + ")" + REFUSED);
      return;
    }
    if (spent >= dp.maxEpsilon()) {
      warnings.add("policy differential_privacy max_epsilon is " + figure(dp.maxEpsilon()) + " but the privacy ledger "
          + where + " has spent " + figure(spent) + " at delta " + figure(dp.delta()) + " and DP is required" + REFUSED);
    }
  }

  private static void exchange(SiloPolicy p, List<String> warnings) {
    Exchange exchange = new Exchange(p.exchange());
    String probe = Artifacts.resolve(p.exchange(), PROBE);
    try {
      exchange.list();
      exchange.write(probe, new byte[0]);
      exchange.delete(probe);
    } catch (RuntimeException e) {
      warnings.add("policy exchange " + p.exchange() + " cannot be listed and written (" + Errors.messages(e)
          + "): no request can be answered");
    }
  }

  /** A figure to four significant digits, without trailing zeros: 8, 8.123, 0.00001. */
  static String figure(double value) {
    return new BigDecimal(value).round(new MathContext(4)).stripTrailingZeros().toPlainString();
  }
}

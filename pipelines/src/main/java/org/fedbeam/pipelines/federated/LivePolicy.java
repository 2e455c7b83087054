package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.file.Path;
import org.fedbeam.pipelines.protocol.Keys;
import org.fedbeam.pipelines.protocol.Signed;
import org.fedbeam.pipelines.rounds.SiloPipeline;
import org.fedbeam.transforms.Artifacts;
import org.fedbeam.transforms.Errors;
import org.fedbeam.transforms.GuardEgress;

/**
 * What a running silo agent works under now: its policy (with the revocation list), its signing
 * key and the silo pipeline's plan derived from the policy. {@link #reloadIfChanged} takes up a
 * changed policy or a rotated key between requests ({@link PolicyWatch} says what changed). It
 * guarantees that an invalid policy, or one changing what only a restart may change, never
 * replaces the one in force (it is reported once per change, on stdout, stderr and in the audit
 * log), and that a key that cannot be loaded (a rotation half-way) leaves the previous key
 * signing and is looked at again at the next poll. Read from any thread; reloaded only by the
 * agent's serving thread.
 */
final class LivePolicy {
  private volatile SiloPolicy policy;
  private volatile Keys.Identity identity;
  private volatile SiloPipeline.Plan plan;
  private final PolicyWatch watch;
  private final String policyFile;
  private final long shardSamples;

  /** Starts watching {@code policyFile}, read now as {@code policy}; {@code identity} is the key loaded from it. */
  LivePolicy(SiloPolicy policy, Keys.Identity identity, String policyFile) {
    this.policy = policy;
    this.identity = identity;
    this.policyFile = policyFile;
    this.watch = new PolicyWatch(Path.of(policyFile), policy);
    // the declared sample count caps what an update may report; without one, the shard's own count
    this.shardSamples = policy.declaredSamples() > 0 ? 0
        : org.fedbeam.transforms.TablePreparation.rows(policy.data(), "silo " + policy.silo());
    this.plan = plan(policy);
  }

  SiloPolicy policy() {
    return policy;
  }

  Keys.Identity identity() {
    return identity;
  }

  SiloPipeline.Plan plan() {
    return plan;
  }

  /** The silo pipeline's plan under {@code p}: its guard's limits, metadata rules and declared sample count. */
  private SiloPipeline.Plan plan(SiloPolicy p) {
    long declared = p.declaredSamples() > 0 ? p.declaredSamples() : Math.max(shardSamples, p.minSamples());
    return new SiloPipeline.Plan(p.silo(), p.data(), new GuardEgress.Limits(p.allowedMetadata(), p.minSamples(),
        p.maxUpdateNorm(), p.metadataRules().withSamples(p.minSamples(), declared)),
        Artifacts.resolve(p.state(), "current-round.json"));
  }

  /**
   * Takes up a changed policy (and revocation list) or a rotated key. An invalid policy keeps the
   * one in force and says so loudly, on stdout, stderr and in the audit log, once per change.
   */
  void reloadIfChanged(Audit audit, PrintStream out) {
    PolicyWatch.Change change = watch.pollPolicy(policy);
    if (change != null && change.policy() != null) {
      policy = change.policy();
      plan = plan(policy);
      ObjectNode e = event();
      e.put("decision", "policy reloaded");
      e.put("trusted_keys_now", String.join(",", policy.trustedKeys().at(java.time.Instant.now()).keySet()));
      audit.record(e);
      out.printf("%s: policy reloaded from %s%n", policy.silo(), policyFile);
      out.flush();
    } else if (change != null) {
      String loud = "POLICY NOT RELOADED: " + change.problem() + "; the policy in force stays";
      ObjectNode e = event();
      e.put("decision", "policy not reloaded");
      e.put("detail", change.problem());
      audit.record(e);
      out.println(policy.silo() + ": " + loud);
      out.flush();
      System.err.println("silo agent " + policy.silo() + ": " + loud);
    }
    if (watch.keyChanged(policy)) {
      reloadKey(audit, out);
    }
  }

  private void reloadKey(Audit audit, PrintStream out) {
    try {
      Keys.Identity next = Keys.load(policy.keyDir());
      if (!next.keyId().equals(identity.keyId())) {
        ObjectNode e = event();
        e.put("decision", "key rotated");
        e.put("previous_key", identity.keyId());
        e.put("key", next.keyId());
        audit.record(e);
        out.printf("%s: now signs with key %s (was %s)%n", policy.silo(), next.keyId(), identity.keyId());
        out.flush();
        identity = next;
      }
    } catch (RuntimeException e) {
      watch.retryKey(); // a rotation half-way: looked at again next poll
      out.printf("%s: the key in %s cannot be loaded (%s); still signing with %s%n", policy.silo(), policy.keyDir(),
          Errors.messages(e), identity.keyId());
      out.flush();
    }
  }

  /** An audit event of the agent, not of one request. */
  private ObjectNode event() {
    ObjectNode e = Signed.JSON.createObjectNode();
    e.put("silo", policy.silo());
    return e;
  }
}

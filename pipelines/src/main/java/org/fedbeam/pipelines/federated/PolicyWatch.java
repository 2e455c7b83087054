package org.fedbeam.pipelines.federated;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Objects;
import org.fedbeam.transforms.Artifacts;
import org.fedbeam.transforms.Errors;

/**
 * Watches what a running agent must re-read: its policy file, the revocation list beside it and
 * its own public key (which {@code fedbeam keys rotate} replaces). Each is fingerprinted by its
 * SHA-256, checked every poll. A changed policy that is invalid, or that changes what only a
 * restart may change (the silo, its data, exchange, state or key folder), is reported once and
 * not taken up; it is tried again when the file changes again.
 */
final class PolicyWatch {
  /** What changed at a poll: a valid new policy, or the reason a changed one was not taken up. */
  record Change(SiloPolicy policy, String problem) {}

  private final Path policyFile;
  private String seenPolicy;
  private String seenKey;

  PolicyWatch(Path policyFile, SiloPolicy current) {
    this.policyFile = policyFile;
    this.seenPolicy = fingerprint(current);
    this.seenKey = fingerprint(current.keyDir().resolve("public.pem"));
  }

  /** Null if neither the policy nor its revocation list changed since the last poll; else the change. */
  Change pollPolicy(SiloPolicy current) {
    String now = fingerprint(current);
    if (now.equals(seenPolicy)) {
      return null;
    }
    seenPolicy = now;
    SiloPolicy next;
    try {
      next = SiloPolicy.read(policyFile);
    } catch (RuntimeException e) {
      return new Change(null, Errors.messages(e));
    }
    if (!next.silo().equals(current.silo()) || !next.data().equals(current.data())
        || !next.exchange().equals(current.exchange()) || !next.state().equals(current.state())
        || !next.keyDir().equals(current.keyDir())) {
      return new Change(null, policyFile + " changes the silo, data, exchange, state or key folder, which only a"
          + " restart of the agent may change");
    }
    // a new revocation path is watched from now on
    seenPolicy = fingerprint(next);
    return new Change(next, null);
  }

  /** True once each time the silo's public key file changed (a rotation). */
  boolean keyChanged(SiloPolicy current) {
    String now = fingerprint(current.keyDir().resolve("public.pem"));
    if (Objects.equals(now, seenKey)) {
      return false;
    }
    seenKey = now;
    return true;
  }

  /** Looks at the key again at the next poll (it could not be loaded: a rotation half-way). */
  void retryKey() {
    seenKey = null;
  }

  private String fingerprint(SiloPolicy p) {
    return fingerprint(policyFile) + "/" + fingerprint(p.revocationList());
  }

  private static String fingerprint(Path file) {
    try {
      if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
        return "absent";
      }
      return Artifacts.sha256Hex(Files.readAllBytes(file));
    } catch (IOException e) {
      return "unreadable: " + e.getMessage();
    }
  }
}

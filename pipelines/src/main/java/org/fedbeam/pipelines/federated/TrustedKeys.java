package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.fedbeam.pipelines.protocol.ConfigFields;
import org.fedbeam.pipelines.protocol.Keys;
import org.fedbeam.pipelines.protocol.Signed;

/**
 * The submitters' keys a silo trusts, each for a time window, less those revoked. A key in the
 * policy's {@code trusted_submitters} may carry {@code not_before} and {@code not_after}
 * (ISO-8601, e.g. {@code 2026-01-01T00:00:00Z}); the revocation list, a JSON file beside the
 * policy ({@code revoked-keys.json}, or the policy's {@code revoked_keys} path), names keys that
 * are no longer trusted, by key id or public key:
 *
 * <pre>
 * {"revoked": [{"key_id": "3f2a...", "reason": "laptop lost"}, {"public_key": "MCow..."}]}
 * </pre>
 *
 * A request signed by a key outside its window or revoked is treated as signed by an unknown key.
 */
public record TrustedKeys(Map<String, Entry> keys, Set<String> revoked) {
  /** The name of the revocation list beside the policy, when the policy names none. */
  public static final String DEFAULT_REVOCATION_FILE = "revoked-keys.json";

  /** A trusted key, its submitter's name and its window (null: open on that side). */
  public record Entry(String name, PublicKey key, Instant notBefore, Instant notAfter) {
    boolean validAt(Instant now) {
      return (notBefore == null || !now.isBefore(notBefore)) && (notAfter == null || !now.isAfter(notAfter));
    }
  }

  public TrustedKeys {
    keys = Map.copyOf(keys);
    revoked = Set.copyOf(revoked);
  }

  /** Key id -> public key of every key trusted at {@code now}: in its window and not revoked. */
  public Map<String, PublicKey> at(Instant now) {
    Map<String, PublicKey> valid = new LinkedHashMap<>();
    keys.forEach((id, e) -> {
      if (e.validAt(now) && !revoked.contains(id)) {
        valid.put(id, e.key());
      }
    });
    return valid;
  }

  /** The key's window bound {@code field} of a trusted_submitters entry, or null if absent. */
  static Instant instant(JsonNode entry, String field, String where) {
    JsonNode v = entry.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw new IllegalArgumentException(where + ": " + field + " must be an ISO-8601 time such as 2026-01-01T00:00:00Z");
    }
    try {
      return OffsetDateTime.parse(v.asText()).toInstant();
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(where + ": " + field + " '" + v.asText()
          + "' is not an ISO-8601 time such as 2026-01-01T00:00:00Z");
    }
  }

  /**
   * The key ids in the revocation list {@code file}; none if there is no file. A file that is a
   * link, not strict JSON, or names a key badly is an error naming the file and the entry.
   */
  static Set<String> readRevoked(Path file) {
    Set<String> ids = new TreeSet<>();
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      return ids;
    }
    String where = "revocation list " + file;
    if (Files.isSymbolicLink(file) || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      throw new IllegalArgumentException(where + " is not a regular file");
    }
    JsonNode n;
    try {
      n = Signed.JSON.readTree(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the " + where + ": " + e.getMessage(), e);
    }
    if (n == null || !n.isObject()) {
      throw new IllegalArgumentException(where + " is not a JSON object");
    }
    int i = 0;
    for (JsonNode r : ConfigFields.array(n, "revoked", where)) {
      String entry = where + " revoked[" + i++ + "]";
      if (r.hasNonNull("public_key")) {
        ids.add(Keys.keyId(Keys.publicKey(ConfigFields.text(r, "public_key", entry), entry)));
      } else {
        String id = ConfigFields.text(r, "key_id", entry);
        if (!id.matches("[0-9a-f]{32}")) {
          throw new IllegalArgumentException(entry + ": key_id '" + id + "' is not a key id (32 lower-case hex digits)");
        }
        ids.add(id);
      }
    }
    return ids;
  }
}

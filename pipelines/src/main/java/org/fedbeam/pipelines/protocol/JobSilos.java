package org.fedbeam.pipelines.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.fedbeam.pipelines.protocol.JobSpec.Silo;
import org.fedbeam.pipelines.protocol.JobSpec.SiloKey;

/**
 * Reads a job file's {@code silos} list for {@link JobSpec}: every silo's id, exchange URI, keys
 * and declared sample count, each problem recorded with the field's path ({@code silos[1].public_key})
 * so one reading reports them all.
 */
final class JobSilos {
  /** The fields of one silo. */
  static final Set<String> SILO_FIELDS = Set.of("id", "exchange", "public_key", "public_keys", "samples");
  /** The fields of one entry of a silo's {@code public_keys}. */
  static final Set<String> KEY_FIELDS = Set.of("public_key", "not_before", "not_after");
  private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*://.*", Pattern.DOTALL);

  private JobSilos() {}

  /** The silos read without a problem; the problems of the others go to {@code problems}. */
  static List<Silo> read(JsonNode list, String where, Problems problems) {
    List<Silo> silos = new ArrayList<>();
    if (list == null || !list.isArray() || list.isEmpty()) {
      problems.add(where + ": silos is missing or empty");
      return silos;
    }
    Map<String, String> exchanges = new HashMap<>();
    List<String> ids = new ArrayList<>();
    for (int index = 0; index < list.size(); index++) {
      JsonNode s = list.get(index);
      String at = where + ": silos[" + index + "]";
      if (!s.isObject()) {
        problems.add(at + " is not an object");
        continue;
      }
      JobSpec.unknownFields(s, SILO_FIELDS, at, problems);
      String id = problems.get(() -> Messages.requireId(ConfigFields.text(s, "id", at), at + ": id"), null);
      if (id != null && ids.contains(id)) {
        problems.add(where + ": silo " + id + " is listed twice");
      }
      ids.add(id);
      String exchange = problems.get(() -> exchange(ConfigFields.text(s, "exchange", at), at + ".exchange"), null);
      if (exchange != null) {
        String other = exchanges.putIfAbsent(exchange, at);
        if (other != null) {
          problems.add(at + ".exchange: " + exchange + " is also the exchange of " + other.substring(where.length() + 2)
              + "; each silo needs its own exchange area");
        }
      }
      List<SiloKey> keys = problems.get(() -> keys(s, at, problems), List.of());
      long samples = problems.get(() -> declaredSamples(s, at), 0L);
      if (id != null && exchange != null && !keys.isEmpty()) {
        silos.add(new Silo(id, exchange, keys, samples));
      }
    }
    return silos;
  }

  /**
   * Checks an exchange area's address: a URI with a scheme and a location ({@code azfs://acct/container/x},
   * {@code file:///srv/x}), without query or fragment, or a local path.
   */
  static String exchange(String text, String where) {
    if (!text.equals(text.strip()) || text.chars().anyMatch(Character::isISOControl)) {
      throw new IllegalArgumentException(where + ": '" + text + "' has leading or trailing blanks or control characters");
    }
    if (SCHEME.matcher(text).matches()) {
      try {
        URI uri = new URI(text);
        String rest = uri.getRawSchemeSpecificPart().replaceFirst("^//", "");
        if (rest.isEmpty() || rest.equals("/") || uri.getRawQuery() != null || uri.getRawFragment() != null) {
          throw new URISyntaxException(text, "it needs a location after " + uri.getScheme() + "://, and no ? or #");
        }
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException(where + ": '" + text + "' is not a well-formed URI (" + e.getMessage() + ")");
      }
      return text;
    }
    try {
      Path.of(text);
    } catch (InvalidPathException e) {
      throw new IllegalArgumentException(where + ": '" + text + "' is neither a URI (scheme://...) nor a local path ("
          + e.getMessage() + ")");
    }
    return text;
  }

  /** A silo's keys: {@code public_key} (no limits) and/or {@code public_keys} (each with its validity). */
  private static List<SiloKey> keys(JsonNode s, String at, Problems problems) {
    List<SiloKey> keys = new ArrayList<>();
    int before = problems.size();
    if (s.has("public_key")) {
      problems.get(() -> keys.add(new SiloKey(Keys.publicKey(ConfigFields.text(s, "public_key", at), at + ".public_key"),
          null, null)), false);
    }
    if (s.has("public_keys")) {
      int i = 0;
      for (JsonNode k : ConfigFields.array(s, "public_keys", at)) {
        String kat = at + ".public_keys[" + i++ + "]";
        if (!k.isObject()) {
          problems.add(kat + " is not an object");
          continue;
        }
        JobSpec.unknownFields(k, KEY_FIELDS, kat, problems);
        problems.get(() -> keys.add(key(k, kat)), false);
      }
    }
    if (problems.size() > before) {
      return List.of();
    }
    if (keys.isEmpty()) {
      throw new IllegalArgumentException(at + ": public_key or public_keys is missing");
    }
    if (keys.stream().map(SiloKey::keyId).distinct().count() < keys.size()) {
      throw new IllegalArgumentException(at + ": a public key is listed twice");
    }
    return keys;
  }

  private static SiloKey key(JsonNode k, String at) {
    SiloKey key = new SiloKey(Keys.publicKey(ConfigFields.text(k, "public_key", at), at + ".public_key"),
        instant(k, "not_before", at), instant(k, "not_after", at));
    if (key.notBefore() != null && key.notAfter() != null && key.notAfter().isBefore(key.notBefore())) {
      throw new IllegalArgumentException(at + ": not_after " + key.notAfter() + " is before not_before " + key.notBefore());
    }
    return key;
  }

  private static Instant instant(JsonNode k, String field, String where) {
    if (!k.has(field)) {
      return null;
    }
    String text = ConfigFields.text(k, field, where);
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(where + ": " + field + " '" + text + "' is not an ISO-8601 date-time with"
          + " an offset, such as 2025-07-01T00:00:00Z");
    }
  }

  /** The silo's declared sample count, or 0 if it declared none. */
  private static long declaredSamples(JsonNode s, String where) {
    JsonNode v = s.get("samples");
    if (v == null) {
      return 0;
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 1) {
      throw new IllegalArgumentException(where + ": samples must be an integer >= 1 (the silo's declared sample"
          + " count), was " + v);
    }
    return v.asLong();
  }
}

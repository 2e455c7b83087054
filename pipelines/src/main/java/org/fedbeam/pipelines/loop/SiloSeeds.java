package org.fedbeam.pipelines.loop;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import org.fedbeam.model.Seeds;
import org.fedbeam.pipelines.rounds.RoundRecords;

/**
 * Where the simulation mode draws each silo's training seed for a round from. By default from the
 * run's one seed ({@code Seeds.derive(seed, "local-train", round, silo index)}), as it always has.
 * Given the silos' secrets ({@code --siloSecrets FILE}, a JSON object {@code {silo: Base64 secret}},
 * and {@code --jobId}), from each silo's secret, {@link Seeds#fromSecret(byte[], String, int)}, as a
 * silo agent draws it: so a simulation can be the twin of a federated run whose silos keep their
 * randomness to themselves.
 */
public final class SiloSeeds {
  private final long seed;
  private final String jobId;
  private final Map<String, byte[]> secrets;

  private SiloSeeds(long seed, String jobId, Map<String, byte[]> secrets) {
    this.seed = seed;
    this.jobId = jobId;
    this.secrets = secrets;
  }

  /** Seeds from the run's seed only. */
  public static SiloSeeds fromRunSeed(long seed) {
    return new SiloSeeds(seed, null, Map.of());
  }

  /**
   * The seeds {@code options} ask for, for exactly the silos {@code silos}.
   *
   * @throws IllegalArgumentException naming the option, the file or the silo, if the secrets file
   *     cannot be read, is not a JSON object of Base64 secrets, misses a silo or names an unknown
   *     one, or if only one of {@code --siloSecrets} and {@code --jobId} is given
   */
  public static SiloSeeds from(TrainOptions options, Collection<String> silos, long seed) {
    String file = options.getSiloSecrets();
    String jobId = options.getJobId();
    if (file == null && jobId == null) {
      return fromRunSeed(seed);
    }
    if (file == null || jobId == null || jobId.isBlank()) {
      throw new IllegalArgumentException("--siloSecrets and --jobId go together; got --siloSecrets=" + file
          + " and --jobId=" + jobId);
    }
    JsonNode n;
    try {
      n = RoundRecords.JSON.readTree(Files.readAllBytes(Path.of(file)));
    } catch (IOException e) {
      throw new IllegalArgumentException("--siloSecrets: cannot read " + file + ": " + e.getMessage(), e);
    }
    if (n == null || !n.isObject()) {
      throw new IllegalArgumentException("--siloSecrets: " + file + " is not a JSON object {silo: Base64 secret}");
    }
    Map<String, byte[]> secrets = new LinkedHashMap<>();
    var fields = n.fields();
    while (fields.hasNext()) {
      var f = fields.next();
      if (!silos.contains(f.getKey())) {
        throw new IllegalArgumentException("--siloSecrets: " + file + " has a secret for '" + f.getKey()
            + "', which is not one of the silos " + new TreeSet<>(silos));
      }
      byte[] secret;
      try {
        secret = Base64.getDecoder().decode(f.getValue().asText());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--siloSecrets: " + file + ": the secret of " + f.getKey() + " is not Base64");
      }
      if (!f.getValue().isTextual() || secret.length < 16) {
        throw new IllegalArgumentException("--siloSecrets: " + file + ": the secret of " + f.getKey()
            + " must be Base64 text of at least 16 bytes, was " + secret.length + " bytes");
      }
      secrets.put(f.getKey(), secret);
    }
    for (String silo : silos) {
      if (!secrets.containsKey(silo)) {
        throw new IllegalArgumentException("--siloSecrets: " + file + " has no secret for silo " + silo);
      }
    }
    return new SiloSeeds(seed, jobId, secrets);
  }

  /** The seed of {@code silo} (the {@code index}-th silo) in {@code round}. */
  public long seed(String silo, int index, int round) {
    byte[] secret = secrets.get(silo);
    return secret == null ? Seeds.derive(seed, "local-train", round, index) : Seeds.fromSecret(secret, jobId, round);
  }
}

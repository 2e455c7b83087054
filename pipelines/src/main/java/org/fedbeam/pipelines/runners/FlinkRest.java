package org.fedbeam.pipelines.runners;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * A client of one Flink cluster's REST API behind mutual TLS: it presents the cluster's own client
 * certificate ({@link ClusterTls}) and trusts only the cluster's certificate. For the party's own
 * readiness and status checks and for reading what the cluster runs; jobs go through Flink's own
 * {@code RestClusterClient}, configured with {@link ClusterTls#restSettings()}.
 */
public final class FlinkRest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final String restUrl;
  private final HttpClient http;

  /**
   * @param restUrl the REST endpoint, {@code https://HOST:PORT}
   * @param tls the cluster's TLS folder
   */
  public FlinkRest(String restUrl, ClusterTls tls) {
    if (!restUrl.startsWith("https://")) {
      throw new IllegalArgumentException("a Flink REST endpoint behind mutual TLS is https://HOST:PORT; was '" + restUrl
          + "'");
    }
    this.restUrl = restUrl.replaceFirst("/+$", "");
    // Flink's REST endpoint speaks HTTP/1.1 only
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
        .sslContext(tls.clientContext()).build();
  }

  public String restUrl() {
    return restUrl;
  }

  /**
   * GET {@code restUrl + path} as JSON; empty if the endpoint does not answer 200 (a failure to connect
   * or a dropped connection is tried again, three times in all: a loaded machine drops some).
   */
  public Optional<JsonNode> get(String path) {
    for (int attempt = 1; ; attempt++) {
      try {
        HttpResponse<byte[]> r = send(path);
        return r.statusCode() == 200 ? Optional.of(JSON.readTree(r.body())) : Optional.empty();
      } catch (IOException e) {
        if (attempt == 3 || Thread.currentThread().isInterrupted()) {
          return Optional.empty();
        }
      }
    }
  }

  /** GET {@code restUrl + path}: the status and body, or the failure to connect. */
  public HttpResponse<byte[]> send(String path) throws IOException {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(restUrl + path)).timeout(Duration.ofSeconds(20)).GET().build(),
          HttpResponse.BodyHandlers.ofByteArray());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while reading " + restUrl + path, e);
    }
  }

  @Override
  public String toString() {
    return restUrl;
  }
}

package org.fedbeam.pipelines.runners;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.startsWith;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** The assertions both the embedded and the standalone cluster's tests make on a running cluster. */
final class EndpointChecks {
  private EndpointChecks() {}

  /** Every attack of issue 10 on the REST port, plain and over TLS without a (or with a stranger's) certificate. */
  static void restRefusesEveryAttack(int restPort, ClusterTls stranger) throws Exception {
    for (Object[] attack : Intruder.attacks()) {
      String what = (String) attack[0];
      byte[] request = (byte[]) attack[1];
      Intruder.Answer plain = Intruder.plain(restPort, request);
      assertThat(what + " over plain http: " + plain, plain.isHttp200(), equalTo(false));
      assertThat(what + " over plain http leaks nothing: " + plain, plain.text(),
          not(containsString("classpath")));
      assertThat(what + " over plain http leaks nothing: " + plain, plain.text(), not(containsString("flink-version")));
      for (ClusterTls keys : new ClusterTls[] {null, stranger}) {
        Intruder.Answer tls = Intruder.tls(restPort, request, keys);
        String who = keys == null ? "without a client certificate" : "with a stranger's certificate";
        assertThat(what + " over TLS " + who + " fails: " + tls, tls.failure(), notNullValue());
        assertThat(what + " over TLS " + who + " gets no answer: " + tls, tls.bytes().length, equalTo(0));
      }
    }
  }

  /**
   * Every port {@code pids} listen on is on 127.0.0.1, and every one but the REST port answers a plain
   * caller nothing but a TLS alert and fails a TLS handshake without the cluster's certificate.
   */
  static List<String> everyPortIsLoopbackAndSealed(List<Long> pids, int restPort, ClusterTls stranger) throws Exception {
    List<String> all = new ArrayList<>();
    for (long pid : pids) {
      all.addAll(Intruder.listening(pid));
    }
    assertThat("listening sockets of " + pids, all, not(empty()));
    assertThat(all, everyItem(startsWith("127.0.0.1:")));
    for (String address : all) {
      int port = Intruder.port(address);
      if (port == restPort) {
        continue;
      }
      byte[] probe = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n\0\0\0\1\0\0\0\0".getBytes(StandardCharsets.ISO_8859_1);
      Intruder.Answer plain = Intruder.plain(port, probe);
      assertThat(address + " to a plain client: " + plain, plain.nothingUseful(), equalTo(true));
      for (ClusterTls keys : new ClusterTls[] {null, stranger}) {
        Intruder.Answer tls = Intruder.tls(port, probe, keys);
        assertThat(address + " over TLS with " + (keys == null ? "no" : "a stranger's") + " certificate: " + tls,
            tls.failure() != null && tls.nothingUseful(), equalTo(true));
      }
    }
    return all;
  }

  /** The TLS folder is 0700 and every file in it 0600. */
  static void keysAreOwnerOnly(Path dir) throws Exception {
    assertThat(dir + "", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)), equalTo("rwx------"));
    try (var files = Files.list(dir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        assertThat(f + "", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)), equalTo("rw-------"));
      }
    }
  }

  /** An HTTP client as an operator's: the operator certificate, trusting the cluster's certificate. */
  static HttpClient operatorClient(ClusterTls tls) throws Exception {
    char[] password = Files.readString(tls.operatorPassword()).strip().toCharArray();
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(tls.operatorKeystore())) {
      keys.load(in, password);
    }
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(tls.clusterCertificate())) {
      trust.setCertificateEntry("cluster",
          java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
    kmf.init(keys, password);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(context).build();
  }

  static HttpResponse<String> get(HttpClient client, String url) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }
}

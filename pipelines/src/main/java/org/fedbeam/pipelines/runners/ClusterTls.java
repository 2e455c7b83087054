package org.fedbeam.pipelines.runners;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.flink.configuration.Configuration;

/**
 * The TLS material of one Flink cluster, so that its endpoints answer only the party's own processes
 * (Flink's own security: {@code security.ssl.rest.*} with mutual authentication for REST and the web
 * UI, {@code security.ssl.internal.*} for RPC, blob and data connections).
 *
 * <p>{@link #create} makes, in a folder of its own (0700, every file 0600):
 * <ul>
 *   <li>{@code cluster.p12}: the cluster's self-signed EC P-256 key (SAN ip:127.0.0.1, dns:localhost), made
 *       by the JDK's {@code keytool}; the cluster's processes serve with it, and the party's own
 *       clients (agent, orchestrator, {@code fedbeam cluster}) present it as their client certificate;</li>
 *   <li>{@code internal-trust.p12}: trusts that certificate only (RPC, blob, data);</li>
 *   <li>{@code rest-trust.p12}: trusts that certificate and, if made, the operator's;</li>
 *   <li>{@code operator.p12} (optional): a client certificate of its own for an operator's browser or
 *       curl, with its password in {@code operator.password}; {@code cluster.pem} lets curl check the
 *       server ({@code --cacert});</li>
 *   <li>{@code tls.properties}: the stores' password (random, 24 bytes).</li>
 * </ul>
 * Whoever can read this folder can use the cluster: it must stay the party's own.
 */
public final class ClusterTls {
  /** The name of a cluster's TLS folder inside its own folder. */
  public static final String DIR = "tls";
  private static final String ALIAS = "fedbeam";
  private static final String OPERATOR_ALIAS = "operator";
  private static final Set<PosixFilePermission> OWNER_DIR = PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> OWNER_FILE = PosixFilePermissions.fromString("rw-------");
  /** Forward-secret suites for EC keys only (Flink's default is TLS_RSA_WITH_AES_128_CBC_SHA). */
  private static final String CIPHER_SUITES =
      "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384";

  private final Path dir;
  private final String password;

  private ClusterTls(Path dir, String password) {
    this.dir = dir;
    this.password = password;
  }

  /**
   * Makes a new key and stores in {@code dir}, replacing any there.
   *
   * @param name the certificate's common name (e.g. the cluster's name)
   * @param operator whether to make an operator client certificate too
   */
  public static ClusterTls create(Path dir, String name, boolean operator) throws IOException {
    return create(dir, name, operator, List.of());
  }

  /**
   * As {@link #create(Path, String, boolean)}, with {@code hosts} (DNS names, e.g. the host names of a
   * cluster's containers) in the certificate's SAN besides 127.0.0.1 and localhost.
   */
  public static ClusterTls create(Path dir, String name, boolean operator, List<String> hosts) throws IOException {
    StringBuilder san = new StringBuilder("SAN=ip:127.0.0.1,dns:localhost");
    for (String host : hosts) {
      if (!host.matches("[A-Za-z0-9]([A-Za-z0-9.-]{0,252}[A-Za-z0-9])?")) {
        throw new IllegalArgumentException("a TLS host name is letters, digits, '.' and '-'; was '" + host + "'");
      }
      san.append(",dns:").append(host);
    }
    privateFolder(dir);
    for (String f : List.of("cluster.p12", "internal-trust.p12", "rest-trust.p12", "operator.p12", "operator.password",
        "cluster.pem", "tls.properties")) {
      Files.deleteIfExists(dir.resolve(f));
    }
    byte[] random = new byte[24];
    new SecureRandom().nextBytes(random);
    String password = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    ClusterTls tls = new ClusterTls(dir, password);
    // the two keytool runs at once: each is a JVM start
    Process cluster = genkeypair(dir.resolve("cluster.p12"), ALIAS, "CN=fedbeam " + name, san.toString(), password);
    String operatorPassword = null;
    Process operatorKey = null;
    if (operator) {
      byte[] r2 = new byte[24];
      new SecureRandom().nextBytes(r2);
      operatorPassword = Base64.getUrlEncoder().withoutPadding().encodeToString(r2);
      writePrivate(dir.resolve("operator.password"), (operatorPassword + "\n").getBytes(StandardCharsets.US_ASCII));
      operatorKey = genkeypair(dir.resolve("operator.p12"), OPERATOR_ALIAS, "CN=fedbeam operator of " + name,
          "SAN=ip:127.0.0.1,dns:localhost", operatorPassword);
    }
    await(cluster, dir.resolve("cluster.p12"));
    List<Certificate> trusted = new ArrayList<>();
    trusted.add(tls.certificate(dir.resolve("cluster.p12"), ALIAS, password));
    store(dir.resolve("internal-trust.p12"), trusted, password);
    if (operator) {
      await(operatorKey, dir.resolve("operator.p12"));
      trusted.add(tls.certificate(dir.resolve("operator.p12"), OPERATOR_ALIAS, operatorPassword));
    }
    store(dir.resolve("rest-trust.p12"), trusted, password);
    String pem = "-----BEGIN CERTIFICATE-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(encoded(trusted.get(0)))
        + "\n-----END CERTIFICATE-----\n";
    writePrivate(dir.resolve("cluster.pem"), pem.getBytes(StandardCharsets.US_ASCII));
    Properties p = new Properties();
    p.setProperty("password", password);
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    p.store(bytes, "FedBeam: the password of this folder's key and trust stores; keep it owner-only");
    writePrivate(dir.resolve("tls.properties"), bytes.toByteArray());
    return tls;
  }

  /** The stores {@link #create} made in {@code dir}; fails, naming the folder, if they are not there. */
  public static ClusterTls load(Path dir) {
    Path props = dir.resolve("tls.properties");
    if (!Files.isRegularFile(props, LinkOption.NOFOLLOW_LINKS) || !Files.isRegularFile(dir.resolve("cluster.p12"))) {
      throw new IllegalStateException("no Flink TLS keystore in " + dir + " (tls.properties and cluster.p12 are made by"
          + " 'fedbeam cluster up' in the cluster's folder, CLUSTERS_DIR/NAME/" + DIR + ")");
    }
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(props)) {
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + props + ": " + e.getMessage(), e);
    }
    String password = p.getProperty("password");
    if (password == null || password.isBlank()) {
      throw new IllegalStateException(props + " has no 'password'");
    }
    return new ClusterTls(dir, password);
  }

  public Path dir() {
    return dir;
  }

  /** The operator's client certificate (PKCS12), if one was made. */
  public Path operatorKeystore() {
    return dir.resolve("operator.p12");
  }

  /** The file holding {@link #operatorKeystore()}'s password. */
  public Path operatorPassword() {
    return dir.resolve("operator.password");
  }

  /** The cluster's certificate (PEM), for curl's {@code --cacert}. */
  public Path clusterCertificate() {
    return dir.resolve("cluster.pem");
  }

  /** One line for an operator: where the client certificate is and how to use it. */
  public String operatorHint(String restUrl) {
    return "client certificate " + operatorKeystore() + " (PKCS12, password in " + operatorPassword()
        + "); e.g. curl --cert-type P12 --cert " + operatorKeystore() + ":\"$(cat " + operatorPassword() + ")\" --cacert "
        + clusterCertificate() + " " + restUrl + "/config";
  }

  /** Mutual TLS on REST (and the web UI), for the cluster's own processes and for its clients. */
  public Map<String, String> restSettings() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("security.ssl.rest.enabled", "true");
    s.put("security.ssl.rest.authentication-enabled", "true");
    putStores(s, "rest", "rest-trust.p12");
    s.put("security.ssl.algorithms", CIPHER_SUITES);
    s.put("security.ssl.protocol", "TLSv1.2");
    return s;
  }

  /** The cluster's key store and the trust store {@code truststore} for Flink's {@code security.ssl.SCOPE.*}. */
  private void putStores(Map<String, String> s, String scope, String truststore) {
    String prefix = "security.ssl." + scope + ".";
    s.put(prefix + "keystore", dir.resolve("cluster.p12").toString());
    s.put(prefix + "keystore-password", password);
    s.put(prefix + "key-password", password);
    s.put(prefix + "truststore", dir.resolve(truststore).toString());
    s.put(prefix + "truststore-password", password);
  }

  /** {@link #restSettings()} and TLS with mutual authentication on RPC, blob and data connections. */
  public Map<String, String> clusterSettings() {
    Map<String, String> s = restSettings();
    s.put("security.ssl.internal.enabled", "true");
    putStores(s, "internal", "internal-trust.p12");
    return s;
  }

  /**
   * A Flink configuration folder ({@code client-conf/flink-conf.yaml}, owner-only) with {@link
   * #restSettings()}, for clients that read one (Beam's FlinkRunner with {@code --flinkConfDir}).
   */
  public Path clientConfDir() throws IOException {
    return confDir("client-conf", restSettings());
  }

  /** A Flink configuration folder {@code name/flink-conf.yaml} (owner-only) with {@code settings}. */
  public Path confDir(String name, Map<String, String> settings) throws IOException {
    Path conf = dir.resolve(name);
    privateFolder(conf);
    StringBuilder yaml = new StringBuilder("# FedBeam: Flink settings with the keys in ").append(dir).append('\n');
    settings.forEach((k, v) -> yaml.append(k).append(": ").append(v).append('\n'));
    writePrivate(conf.resolve("flink-conf.yaml"), yaml.toString().getBytes(StandardCharsets.UTF_8));
    return conf;
  }

  /** Copies {@code settings} into a Flink configuration. */
  public static Configuration apply(Map<String, String> settings, Configuration conf) {
    settings.forEach(conf::setString);
    return conf;
  }

  /** A client context that presents the cluster's certificate and trusts only the cluster's. */
  public SSLContext clientContext() {
    try {
      KeyStore keys = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(dir.resolve("cluster.p12"))) {
        keys.load(in, password.toCharArray());
      }
      KeyStore trust = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(dir.resolve("internal-trust.p12"))) {
        trust.load(in, password.toCharArray());
      }
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, password.toCharArray());
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext context = SSLContext.getInstance("TLSv1.2");
      context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), new SecureRandom());
      return context;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the Flink TLS stores in " + dir + ": " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the Flink TLS stores in " + dir + " are unusable: " + e.getMessage(), e);
    }
  }

  /** Makes {@code dir} (and its missing parents) and leaves it readable by its owner only. */
  static void privateFolder(Path dir) throws IOException {
    if (Files.isSymbolicLink(dir)) {
      throw new IllegalStateException(dir + " is a symbolic link; a private TLS folder must be a real folder");
    }
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, OWNER_DIR);
  }

  private static void writePrivate(Path file, byte[] bytes) throws IOException {
    Files.deleteIfExists(file);
    Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_FILE));
    try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING,
        LinkOption.NOFOLLOW_LINKS)) {
      out.write(bytes);
    }
  }

  /**
   * Starts {@code keytool -genkeypair} (an EC P-256 key, self-signed), the password passed through the
   * environment, never on a command line.
   */
  private static Process genkeypair(Path keystore, String alias, String dname, String san, String password)
      throws IOException {
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    List<String> command = List.of(keytool.toString(), "-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-genkeypair",
        "-noprompt", "-alias", alias, "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA",
        "-validity", "3650", "-dname", dname, "-ext", san,
        "-storetype", "PKCS12", "-keystore", keystore.toString(), "-storepass:env", "FEDBEAM_TLS_PASSWORD",
        "-keypass:env", "FEDBEAM_TLS_PASSWORD");
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("FEDBEAM_TLS_PASSWORD", password);
    return pb.start();
  }

  private static void await(Process p, Path keystore) throws IOException {
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IOException("keytool could not make " + keystore + ": " + output.strip());
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while keytool made " + keystore, e);
    }
    Files.setPosixFilePermissions(keystore, OWNER_FILE);
  }

  private Certificate certificate(Path keystore, String alias, String storePassword) throws IOException {
    try (InputStream in = Files.newInputStream(keystore)) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(in, storePassword.toCharArray());
      return ks.getCertificate(alias);
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot read the certificate in " + keystore + ": " + e.getMessage(), e);
    }
  }

  private static void store(Path file, List<Certificate> certificates, String password) throws IOException {
    try {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      for (int i = 0; i < certificates.size(); i++) {
        trust.setCertificateEntry("trusted-" + i, certificates.get(i));
      }
      java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
      trust.store(bytes, password.toCharArray());
      writePrivate(file, bytes.toByteArray());
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot write the trust store " + file + ": " + e.getMessage(), e);
    }
  }

  private static byte[] encoded(Certificate c) throws IOException {
    try {
      return c.getEncoded();
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new IOException(e);
    }
  }
}

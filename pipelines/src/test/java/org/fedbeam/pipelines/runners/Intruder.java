package org.fedbeam.pipelines.runners;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobgraph.JobVertex;

/**
 * A local process without the cluster's keys, replaying the attacks of issue 10 against a real Flink
 * endpoint: raw HTTP requests over plain TCP, or over TLS that trusts any server and presents no
 * client certificate (or a stranger's). It also lists a process's listening TCP sockets from
 * {@code /proc}, as {@code ss -ltnp} does.
 */
final class Intruder {
  private static final int TIMEOUT_MS = 5000;

  /** What came back: the bytes read before the peer closed (or the timeout), and the failure, if any. */
  record Answer(byte[] bytes, Exception failure) {
    String text() {
      return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    boolean isHttp200() {
      return text().startsWith("HTTP/1.1 200") || text().startsWith("HTTP/1.0 200");
    }

    /** Nothing, or only a TLS alert record (content type 21): no application data. */
    boolean nothingUseful() {
      return bytes.length == 0 || (bytes[0] == 0x15 && bytes.length <= 7 + 64);
    }

    @Override
    public String toString() {
      String t = text();
      return (failure == null ? "" : failure + "; ") + bytes.length + " bytes: " + t.substring(0, Math.min(200, t.length()));
    }
  }

  private Intruder() {}

  /** {@code request} over plain TCP to 127.0.0.1:{@code port}. */
  static Answer plain(int port, byte[] request) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MS);
      s.setSoTimeout(TIMEOUT_MS);
      return exchange(s, request);
    } catch (IOException e) {
      return new Answer(new byte[0], e);
    }
  }

  /**
   * {@code request} over TLS to 127.0.0.1:{@code port}, trusting any server, presenting the client key of
   * {@code keys} (null for none).
   */
  static Answer tls(int port, byte[] request, ClusterTls keys) {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys == null ? null : keyManagers(keys), new TrustManager[] {new TrustAll()}, null);
      try (SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MS);
        s.setSoTimeout(TIMEOUT_MS);
        s.startHandshake();
        return exchange(s, request);
      }
    } catch (Exception e) {
      return new Answer(new byte[0], e);
    }
  }

  private static javax.net.ssl.KeyManager[] keyManagers(ClusterTls keys) throws Exception {
    java.util.Properties p = new java.util.Properties();
    try (InputStream in = Files.newInputStream(keys.dir().resolve("tls.properties"))) {
      p.load(in);
    }
    char[] password = p.getProperty("password").toCharArray();
    java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keys.dir().resolve("cluster.p12"))) {
      ks.load(in, password);
    }
    javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance("PKIX");
    kmf.init(ks, password);
    return kmf.getKeyManagers();
  }

  private static Answer exchange(Socket s, byte[] request) {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    try {
      OutputStream out = s.getOutputStream();
      out.write(request);
      out.flush();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[8192];
      for (int n; (n = in.read(buf)) > 0 && got.size() < 1 << 20; ) {
        got.write(buf, 0, n);
      }
      return new Answer(got.toByteArray(), null);
    } catch (SocketTimeoutException e) {
      return new Answer(got.toByteArray(), e);
    } catch (IOException e) {
      return new Answer(got.toByteArray(), e);
    }
  }

  static byte[] get(String path) {
    return ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
  }

  static byte[] post(String path, String contentType, byte[] body) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: " + contentType
        + "\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    b.writeBytes(body);
    return b.toByteArray();
  }

  /** A multipart body of {@code parts}: name, file name (or null for a field), bytes. */
  static byte[] multipart(String boundary, List<Object[]> parts) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (Object[] part : parts) {
      String head = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + part[0] + "\""
          + (part[1] == null ? "" : "; filename=\"" + part[1] + "\"") + "\r\nContent-Type: "
          + (part[1] == null ? "application/json" : "application/octet-stream") + "\r\n\r\n";
      b.writeBytes(head.getBytes(StandardCharsets.US_ASCII));
      b.writeBytes((byte[]) part[2]);
      b.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    b.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
    return b.toByteArray();
  }

  /**
   * A real jar whose main class, if anyone ran it, would write {@code marker}: the code an attacker
   * uploads to {@code /jars/upload} or attaches to {@code POST /jobs}.
   */
  static byte[] payloadJar() throws IOException {
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().putValue("Manifest-Version", "1.0");
    manifest.getMainAttributes().putValue("Main-Class", Payload.class.getName());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (JarOutputStream jar = new JarOutputStream(bytes, manifest)) {
      String entry = Payload.class.getName().replace('.', '/') + ".class";
      jar.putNextEntry(new JarEntry(entry));
      try (InputStream in = Intruder.class.getClassLoader().getResourceAsStream(entry)) {
        jar.write(in.readAllBytes());
      }
      jar.closeEntry();
    }
    return bytes.toByteArray();
  }

  /** A serialized job graph with one vertex whose task is {@link Payload}. */
  static byte[] jobGraph() throws IOException {
    JobVertex vertex = new JobVertex("payload");
    vertex.setInvokableClass(org.apache.flink.runtime.jobgraph.tasks.AbstractInvokable.class);
    vertex.setParallelism(1);
    JobGraph graph = new JobGraph(new org.apache.flink.api.common.JobID(), "intruder", vertex);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(graph);
    }
    return bytes.toByteArray();
  }

  /** The five REST requests of issue 10, as an intruder sends them. */
  static List<Object[]> attacks() throws IOException {
    List<Object[]> all = new ArrayList<>();
    String boundary = "----fedbeam-intruder";
    byte[] jar = payloadJar();
    all.add(new Object[] {"POST /jars/upload", post("/jars/upload", "multipart/form-data; boundary=" + boundary,
        multipart(boundary, List.<Object[]>of(new Object[] {"jarfile", "payload.jar", jar})))});
    all.add(new Object[] {"POST /jars/:id/run", post("/jars/0b7e3c9e-1d5f-4b8e-9a53-2d2f1e4c7a10_payload.jar/run",
        "application/json", ("{\"entryClass\":\"" + Payload.class.getName() + "\"}").getBytes(StandardCharsets.UTF_8))});
    String request = "{\"jobGraphFileName\":\"graph.bin\",\"jobJarFileNames\":[\"payload.jar\"],\"jobArtifactFileNames\":[]}";
    all.add(new Object[] {"POST /jobs", post("/jobs", "multipart/form-data; boundary=" + boundary, multipart(boundary,
        List.<Object[]>of(new Object[] {"request", null, request.getBytes(StandardCharsets.UTF_8)},
            new Object[] {"file_0", "graph.bin", jobGraph()}, new Object[] {"file_1", "payload.jar", jar})))});
    all.add(new Object[] {"GET /jobmanager/environment", get("/jobmanager/environment")});
    all.add(new Object[] {"GET /config", get("/config")});
    return all;
  }

  /** The TCP ports {@code pid} listens on, with their local addresses ({@code /proc/net/tcp{,6}}), as ss -ltnp. */
  static List<String> listening(long pid) throws IOException {
    List<String> inodes = new ArrayList<>();
    try (var fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      for (Path fd : fds.toList()) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith("socket:[")) {
            inodes.add(target.substring(8, target.length() - 1));
          }
        } catch (IOException e) {
          // closed meanwhile
        }
      }
    }
    List<String> out = new ArrayList<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      for (String line : Files.readAllLines(Path.of(table)).subList(1, Files.readAllLines(Path.of(table)).size())) {
        String[] f = line.trim().split("\\s+");
        if (f[3].equals("0A") && inodes.contains(f[9])) {
          out.add(address(f[1]));
        }
      }
    }
    return out;
  }

  private static String address(String hex) {
    String[] parts = hex.split(":");
    int port = Integer.parseInt(parts[1], 16);
    String h = parts[0];
    if (h.length() == 8) {
      long a = Long.parseLong(h, 16);
      return (a & 0xff) + "." + ((a >> 8) & 0xff) + "." + ((a >> 16) & 0xff) + "." + ((a >> 24) & 0xff) + ":" + port;
    }
    return (h.equals("0000000000000000FFFF00000100007F") ? "127.0.0.1" : "[" + h + "]") + ":" + port;
  }

  static int port(String address) {
    return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
  }

  /** Trusts any server: an intruder does not care whom it talks to. */
  private static final class TrustAll implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }

  /** The intruder's code: if it ever ran in a cluster, it would leave a file in the system's temp folder. */
  public static final class Payload {
    public static final String MARKER = "fedbeam-intruder-ran";

    public static void main(String[] args) throws IOException {
      Files.writeString(Path.of(System.getProperty("java.io.tmpdir"), MARKER), "ran");
    }
  }
}

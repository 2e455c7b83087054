package org.fedbeam.pipelines.digest;

import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The approval digest of a pipeline, derived from the code it runs: no hand-kept list of classes.
 *
 * <p>From the pipeline's root classes, it follows every class their class files name
 * ({@link ClassFile}) through FedBeam's own classes ({@code org.fedbeam.*}), transitively: nested
 * classes, lambdas (methods of the same class file), DoFns, coders, and every model, data and storage
 * class they call. What it covers, in the order it is hashed ({@link #lines()}):
 * <ul>
 *   <li>{@code class NAME SHA256}: each FedBeam class of that closure, by the SHA-256 of its class file;
 *   <li>{@code package NAME SHA256 FILES}: each third-party package that closure names (Beam, Jackson,
 *       Smile, EJML, JavaCPP/OpenBLAS, Azure...), by the SHA-256 over every file directly in that package
 *       (name and bytes, classes and resources), wherever the source holds them. This is how a library's
 *       version is covered: by its content, because a version label is not reliable (Beam's and Smile's
 *       jars carry no {@code pom.properties}, a shaded jar no longer says which jar a class came from,
 *       and a rebuilt jar can keep its label);
 *   <li>{@code missing NAME}: a class the closure names that the source lacks.
 * </ul>
 * Not covered: the JDK (packages of the system modules), and the platform a Flink cluster provides on its
 * own class path ({@link #PLATFORM}: Flink, Scala, Kryo, Chill, logging, the artifacts the job jar leaves
 * out), whose classes are only named ({@link #platform()}), nor the code inside third-party packages
 * the closure does not name (it is covered only as far as its callers' packages are).
 *
 * <p>Deterministic: everything is sorted by name, and where a class is read from (a jar, a folder, the
 * shaded job jar) is not hashed, so the same build gives the same digest from any class path order and
 * from its job jar.
 */
public final class PipelineDigest {
  /** Package prefixes of what a Flink cluster provides: the artifacts pipelines/pom.xml keeps out of the job jar. */
  public static final List<String> PLATFORM = List.of("org.apache.flink.", "scala.", "com.esotericsoftware.kryo.",
      "com.esotericsoftware.minlog.", "com.twitter.chill.", "org.slf4j.", "org.apache.logging.log4j.",
      "ch.qos.logback.");
  private static final String OWN = "org.fedbeam.";
  private static final Set<String> JDK = jdkPackages();

  private final List<String> header;
  private final SortedMap<String, String> classes = new TreeMap<>();
  private final SortedMap<String, Library> packages = new TreeMap<>();
  private final SortedSet<String> missing = new TreeSet<>();
  private final SortedSet<String> platform = new TreeSet<>();

  /**
   * A third-party package's content.
   *
   * @param origins the jars or folders it was read from (shown, not hashed)
   */
  public record Library(String sha256, int files, SortedSet<String> origins) {}

  private PipelineDigest(List<String> header) {
    this.header = header;
  }

  /**
   * Computes the digest of the code reachable from {@code roots} in {@code source}.
   *
   * @param header lines hashed first (the pipeline's name and version)
   * @throws IllegalStateException if a FedBeam class of the closure is not in the source, or a class
   *     file cannot be read
   */
  public static PipelineDigest compute(List<String> header, List<String> roots, ClassSource source) {
    PipelineDigest d = new PipelineDigest(List.copyOf(header));
    Map<String, List<String>> thirdParty = new TreeMap<>(); // package -> origins of its named classes
    Deque<String> todo = new ArrayDeque<>(roots);
    Set<String> seen = new TreeSet<>(roots);
    while (!todo.isEmpty()) {
      String name = todo.pop();
      if (!name.startsWith(OWN)) {
        d.thirdParty(name, source, thirdParty);
        continue;
      }
      ClassSource.Found found = source.find(name).orElseThrow(() -> new IllegalStateException(
          "cannot read the bytecode of " + name + " in " + source.where()));
      d.classes.put(name, sha256(found.bytes()));
      for (String ref : ClassFile.parse(found.bytes(), name + " in " + found.origin()).references()) {
        if (seen.add(ref)) {
          todo.add(ref);
        }
      }
    }
    thirdParty.forEach((pkg, origins) -> d.packages.put(pkg, library(pkg, origins, source)));
    return d;
  }

  private void thirdParty(String name, ClassSource source, Map<String, List<String>> thirdParty) {
    String pkg = packageOf(name);
    if (JDK.contains(pkg)) {
      return;
    }
    if (PLATFORM.stream().anyMatch(name::startsWith)) {
      platform.add(name);
      return;
    }
    source.find(name).ifPresentOrElse(found -> {
      List<String> origins = thirdParty.computeIfAbsent(pkg, p -> new ArrayList<>());
      if (!origins.contains(found.origin())) {
        origins.add(found.origin());
      }
    }, () -> missing.add(name));
  }

  private static Library library(String pkg, List<String> origins, ClassSource source) {
    MessageDigest sha = newSha256();
    Map<String, byte[]> files = source.packageFiles(pkg, origins);
    files.forEach((file, bytes) -> {
      sha.update((file + "\n" + bytes.length + "\n").getBytes(StandardCharsets.UTF_8));
      sha.update(bytes);
    });
    return new Library(HexFormat.of().formatHex(sha.digest()), files.size(), new TreeSet<>(origins));
  }

  /** The lines the digest is the SHA-256 of (each ending in a newline), in that order. */
  public List<String> lines() {
    List<String> lines = new ArrayList<>(header);
    classes.forEach((name, sha) -> lines.add("class " + name + " " + sha));
    packages.forEach((name, lib) -> lines.add("package " + name + " " + lib.sha256() + " " + lib.files()));
    missing.forEach(name -> lines.add("missing " + name));
    return lines;
  }

  /** The SHA-256 (hex) of {@link #lines()}. */
  public String sha256() {
    return sha256(String.join("", lines().stream().map(l -> l + "\n").toList()).getBytes(StandardCharsets.UTF_8));
  }

  /** The FedBeam classes covered, by binary name. */
  public SortedSet<String> classes() {
    return Collections.unmodifiableSortedSet(new TreeSet<>(classes.keySet()));
  }

  /** The third-party packages covered, by name. */
  public SortedMap<String, Library> packages() {
    return Collections.unmodifiableSortedMap(packages);
  }

  /** The platform classes the closure names (not covered: the cluster provides them). */
  public SortedSet<String> platform() {
    return Collections.unmodifiableSortedSet(platform);
  }

  /** Classes the closure names that the source lacks (covered by name). */
  public SortedSet<String> missing() {
    return Collections.unmodifiableSortedSet(missing);
  }

  private static String packageOf(String className) {
    int dot = className.lastIndexOf('.');
    return dot < 0 ? "" : className.substring(0, dot);
  }

  private static Set<String> jdkPackages() {
    Set<String> packages = new TreeSet<>();
    for (ModuleReference m : ModuleFinder.ofSystem().findAll()) {
      packages.addAll(m.descriptor().packages());
    }
    return Collections.unmodifiableSet(packages);
  }

  static String sha256(byte[] bytes) {
    return HexFormat.of().formatHex(newSha256().digest(bytes));
  }

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}

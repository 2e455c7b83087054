package org.fedbeam.pipelines.digest;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import javax.tools.JavaCompiler;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;

/** Copies of a real jar with some entries changed: another build of the same code. */
public final class JarCopies {
  private JarCopies() {}

  /** A copy of {@code in} at {@code out} with each entry of {@code changed} replaced; fails if one is absent. */
  public static Path replace(Path in, Path out, Map<String, byte[]> changed) throws IOException {
    Set<String> found = new HashSet<>();
    try (ZipInputStream zin = new ZipInputStream(Files.newInputStream(in));
        ZipOutputStream zout = new ZipOutputStream(Files.newOutputStream(out))) {
      for (ZipEntry e; (e = zin.getNextEntry()) != null; ) {
        byte[] bytes = zin.readAllBytes();
        if (changed.containsKey(e.getName())) {
          bytes = changed.get(e.getName());
          found.add(e.getName());
        }
        zout.putNextEntry(new ZipEntry(e.getName()));
        zout.write(bytes);
        zout.closeEntry();
      }
    }
    if (!found.equals(changed.keySet())) {
      throw new IllegalArgumentException("not in " + in + ": " + changed.keySet().stream().filter(n -> !found.contains(n)).toList());
    }
    return out;
  }

  /**
   * A copy of {@code in} at {@code out} holding only the entries {@code keep} accepts (a small jar to
   * make many variants of quickly).
   */
  public static Path subset(Path in, Path out, java.util.function.Predicate<String> keep) throws IOException {
    try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(in.toFile());
        ZipOutputStream zout = new ZipOutputStream(Files.newOutputStream(out))) {
      for (ZipEntry e : java.util.Collections.list(zip.entries())) {
        if (keep.test(e.getName())) {
          zout.putNextEntry(new ZipEntry(e.getName()));
          try (var entry = zip.getInputStream(e)) {
            entry.transferTo(zout);
          }
          zout.closeEntry();
        }
      }
    }
    return out;
  }

  /** The bytes of {@code name} in {@code jar}. */
  public static byte[] entry(Path jar, String name) throws IOException {
    try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(jar.toFile())) {
      ZipEntry e = zip.getEntry(name);
      if (e == null) {
        throw new IllegalArgumentException(name + " is not in " + jar);
      }
      return zip.getInputStream(e).readAllBytes();
    }
  }

  /**
   * A class file with the constant-pool string {@code from} replaced by {@code to} (same length): the
   * class another build would give with that string literal changed. Fails unless {@code from} occurs once.
   */
  public static byte[] patchString(byte[] classFile, String from, String to) throws IOException {
    if (from.length() != to.length()) {
      throw new IllegalArgumentException("from and to must have the same length");
    }
    byte[] needle = utf8Constant(from);
    int at = -1;
    for (int i = 0; i + needle.length <= classFile.length; i++) {
      if (java.util.Arrays.equals(classFile, i, i + needle.length, needle, 0, needle.length)) {
        if (at >= 0) {
          throw new IllegalArgumentException("the string " + from + " occurs more than once");
        }
        at = i;
      }
    }
    if (at < 0) {
      throw new IllegalArgumentException("no constant-pool string " + from);
    }
    byte[] patched = classFile.clone();
    byte[] replacement = utf8Constant(to);
    System.arraycopy(replacement, 0, patched, at, replacement.length);
    return patched;
  }

  private static byte[] utf8Constant(String s) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeByte(ConstantPool.UTF8);
    out.writeUTF(s);
    return bytes.toByteArray();
  }

  /** Compiles one class from source with this JDK's compiler as the build does (release 17, -g); returns its class file. */
  public static byte[] compile(String className, String source) throws IOException {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    Path out = Files.createTempDirectory("fedbeam-compile");
    SimpleJavaFileObject file = new SimpleJavaFileObject(URI.create("string:///" + className.replace('.', '/') + ".java"),
        javax.tools.JavaFileObject.Kind.SOURCE) {
      @Override
      public CharSequence getCharContent(boolean ignoreEncodingErrors) {
        return source;
      }
    };
    ByteArrayOutputStream errors = new ByteArrayOutputStream();
    boolean ok = javac.getTask(new java.io.PrintWriter(errors, true), null, null,
        List.of("--release", "17", "-g", "-d", out.toString()), null, List.of(file)).call();
    if (!ok) {
      throw new IllegalStateException("cannot compile " + className + ": " + errors);
    }
    return Files.readAllBytes(out.resolve(className.replace('.', '/') + ".class"));
  }
}

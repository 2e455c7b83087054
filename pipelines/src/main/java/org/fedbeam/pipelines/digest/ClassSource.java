package org.fedbeam.pipelines.digest;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Where class files are read from: a class loader (this process's class path: each class from the jar
 * or folder the loader would load it from) or one jar alone (the job jar a Flink cluster runs).
 *
 * <p>An entry is always read as the jar's base entry ({@code org/x/Y.class}), never a
 * {@code META-INF/versions/N/} variant of a multi-release jar, so a class gives the same bytes on a
 * class path and in a shaded jar made from it.
 */
public final class ClassSource implements AutoCloseable {
  private final ClassLoader loader;
  private final boolean ownsLoader;
  private final String where;
  private final Map<Path, Zip> zips = new LinkedHashMap<>();

  private ClassSource(ClassLoader loader, boolean ownsLoader, String where) {
    this.loader = loader;
    this.ownsLoader = ownsLoader;
    this.where = where;
  }

  /** The classes {@code loader} finds (for this process: its class path); {@code where} names it in messages. */
  public static ClassSource of(ClassLoader loader, String where) {
    return new ClassSource(loader, false, where);
  }

  /** The classes of one jar alone. */
  public static ClassSource ofJar(Path jar) {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("cannot read " + jar + ": no such file");
    }
    try {
      return new ClassSource(new URLClassLoader(new URL[] {jar.toUri().toURL()}, null), true, jar.toString());
    } catch (java.net.MalformedURLException e) {
      throw new IllegalArgumentException("not a jar path: " + jar, e);
    }
  }

  /** Names the source in messages: "this process's class path", or the jar's path. */
  public String where() {
    return where;
  }

  /** A class file found in this source: its bytes and the jar or folder that holds it. */
  public record Found(byte[] bytes, String origin) {}

  /** The class file of {@code className} (binary name), as the loader would load it, if this source holds it. */
  public Optional<Found> find(String className) {
    String resource = className.replace('.', '/') + ".class";
    URL url = loader.getResource(resource);
    if (url == null) {
      return Optional.empty();
    }
    Path container = container(url, resource);
    byte[] bytes = Files.isDirectory(container) ? readFile(container.resolve(resource)) : zip(container).read(resource);
    return bytes == null ? Optional.empty() : Optional.of(new Found(bytes, container.toString()));
  }

  /**
   * Every file directly in the package {@code packageName} (classes and resources, not sub-packages),
   * by name, from every jar or folder of this source that holds part of it; where two hold the same
   * name, the one the loader finds first.
   *
   * @param knownOrigins jars or folders known to hold part of the package (jars without folder entries)
   */
  public Map<String, byte[]> packageFiles(String packageName, List<String> knownOrigins) {
    String dir = packageName.replace('.', '/') + "/";
    List<Path> containers = new ArrayList<>();
    try {
      for (URL url : Collections.list(loader.getResources(dir))) {
        containers.add(container(url, dir));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the package " + packageName + " in " + where, e);
    }
    knownOrigins.stream().map(Path::of).filter(p -> !containers.contains(p)).forEach(containers::add);
    Map<String, byte[]> files = new TreeMap<>();
    for (Path c : containers) {
      if (Files.isDirectory(c)) {
        try (Stream<Path> list = Files.list(c.resolve(dir))) {
          list.filter(Files::isRegularFile).sorted()
              .forEach(f -> files.putIfAbsent(f.getFileName().toString(), readFile(f)));
        } catch (IOException e) {
          throw new UncheckedIOException("cannot list " + c.resolve(dir), e);
        }
      } else {
        Zip zip = zip(c);
        for (String entry : zip.files(dir)) {
          files.computeIfAbsent(entry.substring(dir.length()), n -> zip.read(entry));
        }
      }
    }
    return files;
  }

  private static Path container(URL url, String resource) {
    try {
      if (url.getProtocol().equals("jar")) {
        return Path.of(((JarURLConnection) url.openConnection()).getJarFileURL().toURI());
      }
      if (url.getProtocol().equals("file")) {
        Path file = Path.of(url.toURI());
        int depth = resource.split("/").length;
        return file.getRoot().resolve(file.subpath(0, file.getNameCount() - depth));
      }
    } catch (IOException | URISyntaxException e) {
      throw new IllegalStateException("cannot locate " + url + ": " + e.getMessage(), e);
    }
    throw new IllegalStateException("cannot read class files from " + url + ": only jars and folders are supported");
  }

  private static byte[] readFile(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  private Zip zip(Path jar) {
    return zips.computeIfAbsent(jar, Zip::open);
  }

  @Override
  public void close() throws IOException {
    for (Zip zip : zips.values()) {
      zip.file.close();
    }
    zips.clear();
    if (ownsLoader) {
      ((URLClassLoader) loader).close();
    }
  }

  /** An open jar, with its file entries indexed by folder. */
  private record Zip(Path path, ZipFile file, Map<String, List<String>> byFolder) {
    static Zip open(Path path) {
      try {
        ZipFile file = new ZipFile(path.toFile());
        Map<String, List<String>> byFolder = new HashMap<>();
        file.stream().filter(e -> !e.isDirectory()).map(ZipEntry::getName).forEach(name ->
            byFolder.computeIfAbsent(name.substring(0, name.lastIndexOf('/') + 1), k -> new ArrayList<>()).add(name));
        return new Zip(path, file, byFolder);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot open the jar " + path, e);
      }
    }

    List<String> files(String folder) {
      return byFolder.getOrDefault(folder, List.of());
    }

    byte[] read(String name) {
      ZipEntry entry = file.getEntry(name);
      if (entry == null) {
        return null;
      }
      try (InputStream in = file.getInputStream(entry)) {
        return in.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + name + " in " + path, e);
      }
    }
  }
}

package org.fedbeam.pipelines.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The build's version and commit, for {@code fedbeam --version}: {@code fedbeam 0.1.0-SNAPSHOT
 * (commit 1a2b3c4, 2026-12-01)}. The build writes them into {@code version.properties} beside this
 * class (pipelines/pom.xml, from {@code git log}); a build from a source tree without git history
 * writes the version only, and the line says {@code commit unknown}.
 */
public final class Version {
  private Version() {}

  /** The resource the build fills in. */
  static final String RESOURCE = "version.properties";

  /** One line: {@code fedbeam VERSION (commit ABBREV, DATE)}, or {@code (commit unknown)}. */
  public static String line() {
    return line(load());
  }

  static String line(Properties p) {
    String version = known(p.getProperty("version"));
    String commit = known(p.getProperty("commit"));
    String date = known(p.getProperty("commit_date"));
    String details = commit == null ? "commit unknown"
        : "commit " + commit + (date == null ? "" : ", " + date) + ("true".equals(p.getProperty("dirty")) ? ", with uncommitted changes" : "");
    return "fedbeam " + (version == null ? "(version unknown)" : version) + " (" + details + ")";
  }

  private static String known(String value) {
    return value == null || value.isBlank() || value.contains("${") ? null : value.trim();
  }

  private static Properties load() {
    Properties p = new Properties();
    try (InputStream in = Version.class.getResourceAsStream(RESOURCE)) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      // an unreadable resource is the same as none: the version is then unknown
    }
    return p;
  }
}

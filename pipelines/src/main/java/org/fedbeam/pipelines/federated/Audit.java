package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.fedbeam.transforms.Artifacts;

/**
 * A party's audit log: one JSON object per line, appended for every decision. Each append
 * rewrites the file atomically (old lines + the new one), so a crash leaves either the old log
 * or the new one, on a local disk and on object stores alike.
 */
final class Audit {
  private final String uri;

  Audit(String uri) {
    this.uri = uri;
  }

  String uri() {
    return uri;
  }

  synchronized void record(ObjectNode event) {
    ObjectNode line = Signed.JSON.createObjectNode();
    line.put("time", Instant.now().toString());
    line.setAll(event);
    byte[] old = Artifacts.exists(uri) ? Artifacts.read(uri, "audit log") : new byte[0];
    byte[] add;
    try {
      add = (Signed.JSON.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    byte[] all = new byte[old.length + add.length];
    System.arraycopy(old, 0, all, 0, old.length);
    System.arraycopy(add, 0, all, old.length, add.length);
    Artifacts.writeAtomically(uri, all);
  }
}

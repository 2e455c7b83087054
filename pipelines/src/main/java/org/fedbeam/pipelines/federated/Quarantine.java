package org.fedbeam.pipelines.federated;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.fedbeam.pipelines.protocol.Exchange;

/**
 * What one pass of the agent moves aside unanswered: files in the exchange that are not a signed
 * request from a key trusted now (unsigned, unparsable, too large, of another type, an unknown,
 * expired or revoked key, a bad signature) and symbolic links. They get no signed answer: they go
 * to the exchange's {@code rejected/} folder, are counted by why, and the pass leaves one audit
 * line and one printed line for all of them, however many there were.
 */
final class Quarantine {
  private final Exchange exchange;
  private final Map<String, Integer> why = new TreeMap<>();
  private int moved;
  private int failed;

  Quarantine(Exchange exchange) {
    this.exchange = exchange;
  }

  /** Moves {@code uri} aside (a link: the link itself), counting it under {@code reason}. */
  void moveAside(String uri, String reason) {
    try {
      exchange.moveAside(uri);
      moved++;
      why.merge(reason, 1, Integer::sum);
    } catch (RuntimeException e) {
      failed++; // tried again on the next pass
    }
  }

  /** One audit line and one printed line for the pass, if anything was moved aside; adds to {@code total}. */
  void report(Audit audit, ObjectNode event, PrintStream out, String silo, AtomicLong total) {
    if (moved == 0 && failed == 0) {
      return;
    }
    total.addAndGet(moved);
    event.put("decision", "moved aside");
    event.put("count", moved);
    event.put("failed", failed);
    ObjectNode reasons = event.putObject("why");
    why.forEach(reasons::put);
    event.put("to", exchange.rejected());
    audit.record(event);
    out.printf("%s: moved aside %d file(s) that are not a signed request from a trusted key (%s) to %s%s%n", silo,
        moved, why, exchange.rejected(), failed == 0 ? "" : "; " + failed + " could not be moved, tried again next pass");
    out.flush();
  }
}

package org.fedbeam.transforms;

import org.fedbeam.stats.StatsQuery;

/**
 * One silo's share of a statistics pass: which silo, where its prepared table is (a file {@code
 * fedbeam prepare} wrote), the query and the silo's seed (its noise is drawn from it).
 */
public record StatsTask(String silo, String tableUri, StatsQuery query, long seed) implements java.io.Serializable {
  /** @throws IllegalArgumentException if the silo or the URI is blank, or the query null */
  public StatsTask {
    if (silo == null || silo.isBlank() || tableUri == null || tableUri.isBlank() || query == null) {
      throw new IllegalArgumentException("a statistics task needs a silo, a table URI and a query");
    }
  }
}

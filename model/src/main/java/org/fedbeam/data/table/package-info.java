/**
 * A silo's own table, as a provider prepares it from its CSV export ({@code fedbeam prepare}):
 * named, typed columns (numeric or categorical) with their missing values kept, and the label.
 * Federated statistics are computed on it inside the silo, and the fitted preprocessing turns it into
 * the numeric {@link org.fedbeam.data.Dataset} a learner trains on. Plain Java, no Beam; the readers
 * ({@link org.fedbeam.data.table.TableCsv}, {@link org.fedbeam.data.table.TableFormat},
 * {@link org.fedbeam.data.table.SampleData}) turn files into tables, and nothing else here does I/O.
 */
package org.fedbeam.data.table;

/**
 * Federated preprocessing: a {@link org.fedbeam.preprocess.Preprocessing} is fitted from
 * {@link org.fedbeam.data.table.TableFacts} (the merged statistics of the silos, or a pooled table's
 * facts for the centralized baseline, {@link org.fedbeam.preprocess.PooledFacts}) and turns a silo's
 * {@link org.fedbeam.data.table.Table} into the numeric {@link org.fedbeam.data.Dataset} a learner
 * trains on: imputation and scaling of numeric columns, one-hot vocabularies of categorical columns,
 * the label's classes. It travels as strict, bounded JSON (round requests, model bundles). Plain Java:
 * no Beam, no I/O.
 */
package org.fedbeam.preprocess;

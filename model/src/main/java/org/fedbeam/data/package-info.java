/**
 * Labelled data sets and their sources: the IDX reader for Fashion-MNIST, the CSV reader, feature
 * scaling, the partitioners that split a central data set into silos, and the silo shard format.
 */
package org.fedbeam.data;

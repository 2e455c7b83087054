/**
 * {@code fedbeam predict}: applies a model bundle (its scaling, then its model) to the rows of a CSV
 * file and writes the predicted class and the class probabilities per row.
 */
package org.fedbeam.pipelines.predict;

/**
 * The model others can use: a {@link org.fedbeam.model.bundle.ModelBundle} carries the trained
 * parameters with what is needed to apply them to raw rows (feature names, the scaling the training
 * data was standardised with, class labels) and the provenance chain of how the model was made.
 */
package org.fedbeam.model.bundle;

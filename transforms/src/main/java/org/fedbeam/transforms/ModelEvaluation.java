package org.fedbeam.transforms;

import org.fedbeam.model.EvalReport;

/** A model's quality on one named evaluation data set. */
public record ModelEvaluation(String dataset, EvalReport report) {}

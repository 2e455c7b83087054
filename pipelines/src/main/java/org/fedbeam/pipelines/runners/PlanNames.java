package org.fedbeam.pipelines.runners;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.api.common.Plan;
import org.apache.flink.api.common.operators.GenericDataSinkBase;
import org.apache.flink.api.common.operators.Operator;
import org.apache.flink.api.common.operators.SingleInputOperator;
import org.apache.flink.util.Visitor;

/**
 * Gives the operators that Beam 2.59's Flink batch translation leaves unnamed the name of the Beam
 * step they belong to, so that every vertex of the web UI names FedBeam's steps:
 * <ul>
 *   <li>a {@code Reshuffle}'s group-reduce, which Flink names after the line of Beam's translator
 *       ({@code GroupReduce at translateNode(FlinkBatchTransformTranslators.java:420)}), takes the
 *       name of its step ({@code GroupReduce at SpreadSilos}), read from the step's identity map
 *       ({@code Map at SpreadSilos}) above it;</li>
 *   <li>the sink Beam adds after a step whose output nothing reads, named after an object ({@code
 *       org.apache.flink.api.java.io.DiscardingOutputFormat@28654aff}), becomes {@code Discard after
 *       STEP}.</li>
 * </ul>
 * Names only: the plan's operators, functions and wiring are unchanged.
 */
final class PlanNames {
  private static final Pattern CALL_SITE = Pattern.compile("(\\w+) at \\w+\\(\\w+\\.java:\\d+\\)");
  private static final Pattern STEP = Pattern.compile("^\\w+ at (.+)$");
  private static final String DISCARD = "org.apache.flink.api.java.io.DiscardingOutputFormat@";

  private PlanNames() {}

  /** Names the unnamed operators of {@code pipeline} if it is a batch plan; returns it. */
  static org.apache.flink.api.dag.Pipeline apply(org.apache.flink.api.dag.Pipeline pipeline) {
    if (pipeline instanceof Plan plan) {
      plan.accept(new Visitor<Operator<?>>() {
        @Override
        public boolean preVisit(Operator<?> op) {
          rename(op);
          return true;
        }

        @Override
        public void postVisit(Operator<?> op) {}
      });
    }
    return pipeline;
  }

  private static void rename(Operator<?> op) {
    String name = op.getName();
    if (name == null) {
      return;
    }
    Matcher callSite = CALL_SITE.matcher(name);
    if (callSite.matches() && op instanceof SingleInputOperator<?, ?, ?> single) {
      String step = stepAbove(single.getInput());
      if (step != null) {
        op.setName(callSite.group(1) + " at " + step);
      }
    } else if (name.startsWith(DISCARD) && op instanceof GenericDataSinkBase<?> sink) {
      String step = stepAbove(sink.getInput());
      if (step != null) {
        op.setName("Discard after " + step);
      }
    }
  }

  /** The Beam step of the nearest operator above {@code op} that names one (Flink's key extractors do not). */
  private static String stepAbove(Operator<?> op) {
    for (int depth = 0; op != null && depth < 4; depth++) {
      Matcher m = STEP.matcher(op.getName() == null ? "" : op.getName());
      if (m.matches() && !CALL_SITE.matcher(op.getName()).matches()) {
        return m.group(1).replaceFirst("\\.output$", "");
      }
      op = op instanceof SingleInputOperator<?, ?, ?> single ? single.getInput() : null;
    }
    return null;
  }
}

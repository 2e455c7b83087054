package org.fedbeam.preprocess;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A fitted categorical column, one-hot encoded: one input per vocabulary value, in vocabulary order,
 * then one "other" input for every value not in the vocabulary (rarer than k at fitting, or never
 * seen). A missing value is imputed to {@code missingTo}, the most frequent vocabulary value at
 * fitting, or to "other" when the vocabulary is empty.
 *
 * @param name the raw column
 * @param vocabulary the values with their own input, sorted, none repeated
 * @param missingTo a vocabulary value, or null for "other"
 */
public record CategoricalSpec(String name, List<String> vocabulary, String missingTo) implements ColumnSpec {
  /** Most vocabulary values one column may have. */
  public static final int MAX_VOCABULARY = 1 << 16;

  public CategoricalSpec {
    ColumnSpec.checkName("a column's name", name);
    if (vocabulary == null) {
      throw new IllegalArgumentException("column '" + name + "': a vocabulary must be given");
    }
    if (vocabulary.size() > MAX_VOCABULARY) {
      throw new IllegalArgumentException("column '" + name + "': a vocabulary of " + vocabulary.size()
          + " values is more than the " + MAX_VOCABULARY + " accepted");
    }
    vocabulary = List.copyOf(vocabulary);
    for (String v : vocabulary) {
      ColumnSpec.checkName("column '" + name + "': a vocabulary value", v);
    }
    if (new java.util.HashSet<>(vocabulary).size() != vocabulary.size()) {
      throw new IllegalArgumentException("column '" + name + "': its vocabulary repeats a value");
    }
    if (missingTo != null && !vocabulary.contains(missingTo)) {
      throw new IllegalArgumentException("column '" + name + "': missing values are imputed to a value not in its"
          + " vocabulary");
    }
  }

  @Override
  public String type() {
    return "categorical";
  }

  @Override
  public List<String> inputNames() {
    List<String> out = new ArrayList<>(vocabulary.size() + 1);
    for (String v : vocabulary) {
      out.add(name + "=" + v);
    }
    out.add(name + "=" + otherName());
    return out;
  }

  /** The name of the "other" input's value: {@code other}, or {@code (other)} if "other" is itself a value. */
  public String otherName() {
    return vocabulary.contains("other") ? "(other)" : "other";
  }

  /** The slot (0 .. vocabulary size, the last is "other") of each value of {@code dictionary}. */
  int[] slots(List<String> dictionary) {
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < vocabulary.size(); i++) {
      index.put(vocabulary.get(i), i);
    }
    int[] out = new int[dictionary.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = index.getOrDefault(dictionary.get(i), vocabulary.size());
    }
    return out;
  }

  /** The slot a missing value goes to. */
  int missingSlot() {
    return missingTo == null ? vocabulary.size() : vocabulary.indexOf(missingTo);
  }
}

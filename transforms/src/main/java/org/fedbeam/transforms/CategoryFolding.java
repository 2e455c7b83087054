package org.fedbeam.transforms;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.fedbeam.data.table.CategoricalColumn;
import org.fedbeam.preprocess.CategoricalSpec;

/**
 * The silo's folding of one categorical column before a preprocessing one-hot encodes it
 * ({@link TablePreparation}): each row goes to the input (slot) the preprocessing would give it (its
 * vocabulary value, "other", or for a missing value the imputed one); then every vocabulary slot
 * holding fewer than k of the silo's rows is folded into "other"; then, if "other" holds fewer
 * than k rows while some vocabulary slot holds k or more, those rows go to the fullest vocabulary
 * slot. So no input is 1 for between 1 and k-1 of the silo's records, unless it is 1 for all of them.
 */
final class CategoryFolding {
  private CategoryFolding() {}

  /**
   * The column re-coded so that {@code spec} gives each row its folded slot.
   *
   * @param folded the value that stands for "other" (in no vocabulary)
   * @param counts out: [0] vocabulary values folded, [1] rows they held, [2] rows of a rare "other" moved
   */
  static CategoricalColumn fold(CategoricalColumn col, CategoricalSpec spec, long k, String folded, long[] counts) {
    List<String> vocabulary = spec.vocabulary();
    int other = vocabulary.size();
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < vocabulary.size(); i++) {
      index.put(vocabulary.get(i), i);
    }
    int missingSlot = spec.missingTo() == null ? other : index.get(spec.missingTo());
    int[] slotOfCode = new int[col.dictionary().size()];
    for (int c = 0; c < slotOfCode.length; c++) {
      slotOfCode[c] = index.getOrDefault(col.dictionary().get(c), other);
    }
    int[] slot = new int[col.rows()];
    long[] held = new long[other + 1];
    for (int r = 0; r < slot.length; r++) {
      int code = col.code(r);
      slot[r] = code < 0 ? missingSlot : slotOfCode[code];
      held[slot[r]]++;
    }
    int[] target = new int[other + 1];
    for (int s = 0; s <= other; s++) {
      target[s] = s;
    }
    for (int s = 0; s < other; s++) {
      if (held[s] > 0 && held[s] < k) {
        target[s] = other;
        counts[0]++;
        counts[1] += held[s];
        held[other] += held[s];
        held[s] = 0;
      }
    }
    if (held[other] > 0 && held[other] < k) {
      int fullest = -1;
      for (int s = 0; s < other; s++) {
        if (held[s] >= k && (fullest < 0 || held[s] > held[fullest])) {
          fullest = s;
        }
      }
      if (fullest >= 0) {
        for (int s = 0; s <= other; s++) {
          if (target[s] == other) {
            target[s] = fullest;
          }
        }
        counts[2] = held[other];
      }
    }
    List<String> dictionary = new ArrayList<>(vocabulary);
    String otherValue = folded;
    while (index.containsKey(otherValue)) {
      otherValue = otherValue + "\u0000";
    }
    dictionary.add(otherValue);
    int[] codes = new int[slot.length];
    for (int r = 0; r < codes.length; r++) {
      codes[r] = target[slot[r]];
    }
    return new CategoricalColumn(col.name(), dictionary, codes);
  }
}

package org.fedbeam.model.attack;

import java.util.Arrays;
import java.util.Locale;
import org.fedbeam.data.Dataset;
import org.fedbeam.model.Parameters;
import org.fedbeam.model.strategy.UpdateMechanism;

/**
 * What a Byzantine silo does in a simulation ({@code --byzantine K --attack NAME}), to measure how
 * a strategy stands up to a lying party. Each is an {@link UpdateMechanism} applied to the silo's
 * update before it leaves, or a poisoning of its data before it trains:
 * <ul>
 *   <li>{@code sign-flip}: sends the reverse of its honest change, {@code w = g - (w_trained - g)}
 *       (Damaskinos et al. 2018; Li et al. 2019, RSA);</li>
 *   <li>{@code scaled}: sends its honest change boosted {@value #SCALE} times,
 *       {@code w = g + 10 (w_trained - g)} (Bagdasaryan et al. 2020's model replacement);</li>
 *   <li>{@code label-flip}: trains honestly on labels turned around, {@code y -> C - 1 - y}
 *       (Fang et al. 2020).</li>
 * </ul>
 * Never used outside the simulation: an agent has no attack option.
 */
public enum Attack implements UpdateMechanism {
  SIGN_FLIP("sign-flip"),
  SCALED("scaled"),
  LABEL_FLIP("label-flip");

  /** The boost of {@link #SCALED}. */
  public static final double SCALE = 10;

  private final String id;

  Attack(String id) {
    this.id = id;
  }

  @Override
  public String id() {
    return id;
  }

  /** The data the silo trains on: its own, or with labels turned around for {@link #LABEL_FLIP}. */
  public Dataset poison(Dataset data) {
    if (this != LABEL_FLIP) {
      return data;
    }
    int[] mapping = new int[data.classes()];
    Arrays.setAll(mapping, y -> data.classes() - 1 - y);
    return data.relabel(data.name() + " (labels flipped)", mapping);
  }

  @Override
  public Parameters apply(Parameters global, Parameters trained, long seed) {
    double factor = switch (this) {
      case SIGN_FLIP -> -1;
      case SCALED -> SCALE;
      case LABEL_FLIP -> 1;
    };
    if (factor == 1) {
      return trained;
    }
    float[] out = new float[trained.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) (global.get(i) + factor * ((double) trained.get(i) - global.get(i)));
    }
    return Parameters.copyOf(trained.spec(), out);
  }

  /** Parses {@code sign-flip}, {@code scaled} or {@code label-flip}; the error lists them. */
  public static Attack parse(String text) {
    String wanted = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
    for (Attack a : values()) {
      if (a.id.equals(wanted)) {
        return a;
      }
    }
    throw new IllegalArgumentException("--attack must be one of sign-flip, scaled, label-flip; was '" + text + "'");
  }
}

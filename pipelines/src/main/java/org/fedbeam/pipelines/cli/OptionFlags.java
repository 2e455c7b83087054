package org.fedbeam.pipelines.cli;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.math.BigDecimal;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.Validation;

/**
 * The flags of a Beam options interface, found by reflection so that {@code --help} and the checks
 * never drift from the code: each property (a getter with its setter) becomes an {@link Option} with
 * its kebab-case name, the kind of value its type takes, its {@link Default} and its {@link
 * Description}. FedBeam's own flags are those declared by interfaces in {@code org.fedbeam}; the rest
 * are Beam's and Flink's.
 */
public final class OptionFlags {
  private OptionFlags() {}

  /**
   * A flag and the interface that declares it.
   *
   * @param declaredBy the options interface
   * @param option the flag
   */
  public record Declared(Class<?> declaredBy, Option option) {}

  /** What {@code --help} shows for a value, where the type alone says too little. */
  private static final Map<String, String> PLACEHOLDERS = Map.ofEntries(Map.entry("output", "DIR"),
      Map.entry("dataset", "fashion-mnist|FILE.csv"), Map.entry("policy", "FILE"), Map.entry("job", "FILE"),
      Map.entry("siloSecrets", "FILE"), Map.entry("hidden", "N[,N...]"), Map.entry("strategy", "NAME"),
      Map.entry("strategyParams", "NAME=X[,...]"), Map.entry("partition", "iid|dirichlet|quantity"),
      Map.entry("model", "mlp|logreg"), Map.entry("attack", "sign-flip|scaled|label-flip"),
      Map.entry("webUiPort", "PORT[-PORT]"), Map.entry("flinkMaster", "HOST:PORT"), Map.entry("runner", "NAME"),
      Map.entry("python", "PATH"), Map.entry("labelColumn", "NAME"), Map.entry("jobId", "ID"),
      Map.entry("delimiter", "C|tab"), Map.entry("idColumn", "NAME"), Map.entry("dropColumns", "NAME[,NAME...]"),
      Map.entry("categoricalColumns", "NAME[,NAME...]"), Map.entry("missing", "drop|impute"),
      Map.entry("missingValues", "TEXT[,TEXT...]"), Map.entry("preprocessing", "federated|pooled"),
      Map.entry("scaling", "standardize|minmax|none"));

  /** Whether {@code iface} is one of FedBeam's own options interfaces. */
  public static boolean isOwn(Class<?> iface) {
    return iface.getPackageName().startsWith("org.fedbeam");
  }

  /** {@code type} and every interface it extends, {@code type} first, each once. */
  public static List<Class<?>> hierarchy(Class<?> type) {
    Set<Class<?>> seen = new LinkedHashSet<>();
    Deque<Class<?>> todo = new ArrayDeque<>(List.of(type));
    while (!todo.isEmpty()) {
      Class<?> c = todo.poll();
      if (seen.add(c)) {
        todo.addAll(Arrays.asList(c.getInterfaces()));
      }
    }
    return new ArrayList<>(seen);
  }

  /** Every flag declared by {@code type}'s interfaces, FedBeam's own or Beam's and Flink's. */
  public static List<Declared> declared(Class<? extends PipelineOptions> type, boolean own) {
    List<Declared> out = new ArrayList<>();
    Set<String> names = new LinkedHashSet<>();
    for (Class<?> iface : hierarchy(type)) {
      if (isOwn(iface) == own) {
        for (Option o : options(iface)) {
          if (names.add(o.name())) {
            out.add(new Declared(iface, o));
          }
        }
      }
    }
    return out;
  }

  /** The command's own flags: those of FedBeam's interfaces in {@code type}'s hierarchy. */
  public static List<Option> own(Class<? extends PipelineOptions> type) {
    return declared(type, true).stream().map(Declared::option).toList();
  }

  /**
   * Every other flag Beam accepts with {@code type}: those of Beam's and Flink's interfaces in its
   * hierarchy, of {@link FlinkPipelineOptions} (FedBeam runs on Flink) and of every interface Beam
   * has registered, minus the command's own.
   */
  public static List<Option> others(Class<? extends PipelineOptions> type) {
    Map<String, Option> out = new LinkedHashMap<>();
    List<Class<?>> ifaces = new ArrayList<>(hierarchy(type));
    ifaces.addAll(hierarchy(FlinkPipelineOptions.class));
    PipelineOptionsFactory.getRegisteredOptions().stream().sorted(Comparator.comparing(Class::getName))
        .forEach(c -> ifaces.addAll(hierarchy(c)));
    for (Class<?> iface : ifaces) {
      for (Option o : options(iface)) {
        out.putIfAbsent(o.name(), o);
      }
    }
    own(type).forEach(o -> out.remove(o.name()));
    return List.copyOf(out.values());
  }

  /** The flags {@code iface} itself declares, sorted by name (reflection gives no source order). */
  static List<Option> options(Class<?> iface) {
    List<Option> out = new ArrayList<>();
    for (Method m : iface.getDeclaredMethods()) {
      String property = property(m);
      if (property == null || hasAnnotation(m, "Hidden") || hasAnnotation(m, "JsonIgnore") || !hasSetter(iface, m, property)) {
        continue;
      }
      Class<?> t = m.getReturnType();
      Option.Kind kind = kind(t);
      String placeholder = PLACEHOLDERS.getOrDefault(property, switch (kind) {
        case WHOLE -> "N";
        case NUMBER -> "X";
        case SWITCH -> "";
        case CHOICE -> String.join("|", Arrays.stream(t.getEnumConstants()).map(String::valueOf).toList());
        default -> property.endsWith("Dir") ? "DIR" : property.endsWith("Port") ? "PORT" : "VALUE";
      });
      Description d = m.getAnnotation(Description.class);
      out.add(new Option(Flags.kebab(property), kind, placeholder, defaultText(m),
          m.getAnnotation(Validation.Required.class) != null, d == null ? "" : d.value()));
    }
    out.sort(Comparator.comparing(Option::name));
    return out;
  }

  private static String property(Method m) {
    if (Modifier.isStatic(m.getModifiers()) || m.getParameterCount() != 0 || m.isDefault()) {
      return null;
    }
    String n = m.getName();
    if (n.startsWith("get") && n.length() > 3) {
      return Character.toLowerCase(n.charAt(3)) + n.substring(4);
    }
    if (n.startsWith("is") && n.length() > 2 && (m.getReturnType() == boolean.class || m.getReturnType() == Boolean.class)) {
      return Character.toLowerCase(n.charAt(2)) + n.substring(3);
    }
    return null;
  }

  private static boolean hasSetter(Class<?> iface, Method getter, String property) {
    String setter = "set" + Character.toUpperCase(property.charAt(0)) + property.substring(1);
    try {
      iface.getMethod(setter, getter.getReturnType());
      return true;
    } catch (NoSuchMethodException e) {
      return false;
    }
  }

  private static boolean hasAnnotation(Method m, String simpleName) {
    return Arrays.stream(m.getAnnotations()).map(Annotation::annotationType).anyMatch(a -> a.getSimpleName().equals(simpleName));
  }

  private static Option.Kind kind(Class<?> t) {
    if (List.of(int.class, Integer.class, long.class, Long.class, short.class, Short.class, byte.class, Byte.class).contains(t)) {
      return Option.Kind.WHOLE;
    }
    if (List.of(double.class, Double.class, float.class, Float.class).contains(t)) {
      return Option.Kind.NUMBER;
    }
    if (t == boolean.class || t == Boolean.class) {
      return Option.Kind.SWITCH;
    }
    if (t.isEnum()) {
      return Option.Kind.CHOICE;
    }
    return t == String.class ? Option.Kind.TEXT : Option.Kind.OTHER;
  }

  private static String defaultText(Method m) {
    for (Annotation a : m.getAnnotations()) {
      Object v = null;
      if (a instanceof Default.String x) {
        v = x.value();
      } else if (a instanceof Default.Integer x) {
        v = x.value();
      } else if (a instanceof Default.Long x) {
        v = x.value();
      } else if (a instanceof Default.Double x) {
        v = number(x.value());
      } else if (a instanceof Default.Float x) {
        v = number(x.value());
      } else if (a instanceof Default.Boolean x) {
        v = x.value();
      } else if (a instanceof Default.Short x) {
        v = x.value();
      } else if (a instanceof Default.Byte x) {
        v = x.value();
      } else if (a instanceof Default.Character x) {
        v = x.value();
      } else if (a instanceof Default.Enum x) {
        v = x.value();
      } else if (a instanceof Default.Class x) {
        v = x.value().getSimpleName();
      } else if (a instanceof Default.InstanceFactory) {
        v = "computed";
      }
      if (v != null) {
        return String.valueOf(v);
      }
    }
    return null;
  }

  /** 0.05, 1, 0.00001: no exponent, no trailing zeros. */
  static String number(double v) {
    return Double.isFinite(v) ? new BigDecimal(Double.toString(v)).stripTrailingZeros().toPlainString() : String.valueOf(v);
  }
}

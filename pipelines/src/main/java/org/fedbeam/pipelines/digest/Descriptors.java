package org.fedbeam.pipelines.digest;

import java.util.Set;

/** Class names inside descriptors and generic signatures (JVMS 4.3 and 4.7.9.1). */
final class Descriptors {
  private Descriptors() {}

  /**
   * Adds every class named in a field or method descriptor or a generic signature:
   * {@code (ILjava/util/List<Lorg/x/Y;>;)V} gives {@code java.util.List} and {@code org.x.Y}.
   * An inner class of a generic signature ({@code Lp/Outer<TT;>.Inner;}) gives {@code p.Outer$Inner}
   * as well as {@code p.Outer}. Type variables ({@code TT;}) give nothing.
   */
  static void addClasses(String descriptor, Set<String> out) {
    int i = descriptor.startsWith("<") ? readFormalTypeParameters(descriptor, 1, out) : 0;
    int n = descriptor.length();
    while (i < n) {
      char c = descriptor.charAt(i);
      if (c == 'L' || c == 'T') {
        i = readReferenceType(descriptor, i, out);
      } else {
        i++; // '(', ')', '^', '[' and primitive types
      }
    }
  }

  /** Reads {@code <T:Lp/A;U::Lp/I;>} from {@code start} (just after the '<'); returns the index after '>'. */
  private static int readFormalTypeParameters(String d, int start, Set<String> out) {
    int i = start;
    while (i < d.length() && d.charAt(i) != '>') {
      int colon = d.indexOf(':', i);
      if (colon < 0) {
        throw new IllegalArgumentException("a type parameter without a bound in the signature " + d);
      }
      i = colon;
      while (i < d.length() && d.charAt(i) == ':') {
        i++;
        if (i < d.length() && d.charAt(i) != ':' && d.charAt(i) != '>') {
          i = readReferenceType(d, i, out);
        }
      }
    }
    if (i >= d.length()) {
      throw new IllegalArgumentException("unterminated type parameters in the signature " + d);
    }
    return i + 1;
  }

  /** Reads one class type, type variable or array type at {@code i}; returns the index after it. */
  private static int readReferenceType(String d, int i, Set<String> out) {
    char c = d.charAt(i);
    if (c == 'L') {
      return readClassType(d, i + 1, out);
    } else if (c == 'T') {
      int end = d.indexOf(';', i);
      if (end < 0) {
        throw new IllegalArgumentException("unterminated type variable in the signature " + d);
      }
      return end + 1;
    } else if (c == '[') {
      return readReferenceType(d, i + 1, out);
    } else if ("BCDFIJSZ".indexOf(c) >= 0) {
      return i + 1;
    }
    throw new IllegalArgumentException("unexpected '" + c + "' at " + i + " in the signature " + d);
  }

  /** Reads {@code name<args>.Inner<args>;} from {@code start} (just after the 'L'); returns the index after ';'. */
  private static int readClassType(String d, int start, Set<String> out) {
    StringBuilder name = new StringBuilder();
    int i = start;
    while (i < d.length()) {
      char c = d.charAt(i);
      if (c == ';') {
        out.add(name.toString().replace('/', '.'));
        return i + 1;
      } else if (c == '<') {
        out.add(name.toString().replace('/', '.'));
        i = readTypeArguments(d, i + 1, out);
      } else if (c == '.') {
        out.add(name.toString().replace('/', '.'));
        name.append('$');
        i++;
      } else {
        name.append(c);
        i++;
      }
    }
    throw new IllegalArgumentException("unterminated class type in the descriptor " + d);
  }

  /** Reads type arguments up to the matching '>'; returns the index after it. */
  private static int readTypeArguments(String d, int start, Set<String> out) {
    int i = start;
    while (i < d.length()) {
      char c = d.charAt(i);
      if (c == '>') {
        return i + 1;
      } else if (c == '*' || c == '+' || c == '-') {
        i++;
      } else {
        i = readReferenceType(d, i, out);
      }
    }
    throw new IllegalArgumentException("unterminated type arguments in the signature " + d);
  }

  /**
   * Adds the class of a CONSTANT_Class name: {@code org/x/Y} gives {@code org.x.Y}; an array type
   * ({@code [[Lorg/x/Y;}) gives its element class; a primitive array nothing.
   */
  static void addInternalName(String internal, Set<String> out) {
    if (internal.startsWith("[")) {
      addClasses(internal, out);
    } else {
      out.add(internal.replace('/', '.'));
    }
  }
}

package org.fedbeam.pipelines.digest;

import java.io.DataInputStream;
import java.io.IOException;
import java.util.Set;

/**
 * The attributes of a class, field or method that name classes outside the constant pool's Class
 * entries: {@code Signature} and the annotations; every other attribute is skipped by its length.
 */
final class Attributes {
  private final ConstantPool pool;
  private final Set<String> refs;

  Attributes(ConstantPool pool, Set<String> refs) {
    this.pool = pool;
    this.refs = refs;
  }

  /** Reads an attributes table ({@code u2 count, attribute_info[count]}). */
  void read(DataInputStream in) throws IOException {
    int count = in.readUnsignedShort();
    for (int i = 0; i < count; i++) {
      String name = pool.utf8(in.readUnsignedShort());
      int length = in.readInt();
      switch (name) {
        case "Signature" -> Descriptors.addClasses(pool.utf8(in.readUnsignedShort()), refs);
        case "RuntimeVisibleAnnotations", "RuntimeInvisibleAnnotations" -> annotations(in);
        case "RuntimeVisibleParameterAnnotations", "RuntimeInvisibleParameterAnnotations" -> {
          int parameters = in.readUnsignedByte();
          for (int p = 0; p < parameters; p++) {
            annotations(in);
          }
        }
        case "AnnotationDefault" -> elementValue(in);
        default -> in.skipNBytes(length); // Code, InnerClasses, NestMembers...: their classes are Class entries
      }
    }
  }

  private void annotations(DataInputStream in) throws IOException {
    int count = in.readUnsignedShort();
    for (int i = 0; i < count; i++) {
      annotation(in);
    }
  }

  private void annotation(DataInputStream in) throws IOException {
    Descriptors.addClasses(pool.utf8(in.readUnsignedShort()), refs);
    int pairs = in.readUnsignedShort();
    for (int i = 0; i < pairs; i++) {
      in.readUnsignedShort(); // element name
      elementValue(in);
    }
  }

  /** JVMS 4.7.16.1. */
  private void elementValue(DataInputStream in) throws IOException {
    int tag = in.readUnsignedByte();
    switch (tag) {
      case 'B', 'C', 'D', 'F', 'I', 'J', 'S', 'Z', 's' -> in.readUnsignedShort();
      case 'e' -> {
        Descriptors.addClasses(pool.utf8(in.readUnsignedShort()), refs);
        in.readUnsignedShort(); // constant name
      }
      case 'c' -> Descriptors.addClasses(pool.utf8(in.readUnsignedShort()), refs);
      case '@' -> annotation(in);
      case '[' -> {
        int values = in.readUnsignedShort();
        for (int i = 0; i < values; i++) {
          elementValue(in);
        }
      }
      default -> throw new IOException("unknown annotation element tag '" + (char) tag + "'");
    }
  }
}

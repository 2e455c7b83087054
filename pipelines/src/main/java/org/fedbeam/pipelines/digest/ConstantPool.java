package org.fedbeam.pipelines.digest;

import java.io.DataInputStream;
import java.io.IOException;
import java.util.Set;

/** A class file's constant pool (JVMS 4.4), as far as class names go: every tag of Java 17 is read. */
final class ConstantPool {
  static final int UTF8 = 1;
  static final int INTEGER = 3;
  static final int FLOAT = 4;
  static final int LONG = 5;
  static final int DOUBLE = 6;
  static final int CLASS = 7;
  static final int STRING = 8;
  static final int FIELDREF = 9;
  static final int METHODREF = 10;
  static final int INTERFACE_METHODREF = 11;
  static final int NAME_AND_TYPE = 12;
  static final int METHOD_HANDLE = 15;
  static final int METHOD_TYPE = 16;
  static final int DYNAMIC = 17;
  static final int INVOKE_DYNAMIC = 18;
  static final int MODULE = 19;
  static final int PACKAGE = 20;

  private final int[] tags;
  /** For UTF8: the string. */
  private final String[] strings;
  /** The first u2 operand of each entry (Class: name; NameAndType: name; MethodType: descriptor...). */
  private final int[] first;
  /** The second u2 operand (NameAndType: descriptor; Dynamic and InvokeDynamic: name and type). */
  private final int[] second;

  private ConstantPool(int size) {
    tags = new int[size];
    strings = new String[size];
    first = new int[size];
    second = new int[size];
  }

  static ConstantPool read(DataInputStream in) throws IOException {
    int count = in.readUnsignedShort();
    ConstantPool pool = new ConstantPool(count);
    for (int i = 1; i < count; i++) {
      int tag = in.readUnsignedByte();
      pool.tags[i] = tag;
      switch (tag) {
        case UTF8 -> pool.strings[i] = in.readUTF();
        case INTEGER, FLOAT -> in.readInt();
        case LONG, DOUBLE -> {
          in.readLong();
          i++; // takes two entries (JVMS 4.4.5)
        }
        case CLASS, STRING, METHOD_TYPE, MODULE, PACKAGE -> pool.first[i] = in.readUnsignedShort();
        case FIELDREF, METHODREF, INTERFACE_METHODREF, NAME_AND_TYPE, DYNAMIC, INVOKE_DYNAMIC -> {
          pool.first[i] = in.readUnsignedShort();
          pool.second[i] = in.readUnsignedShort();
        }
        case METHOD_HANDLE -> {
          in.readUnsignedByte(); // reference kind
          pool.first[i] = in.readUnsignedShort(); // a Fieldref or Methodref: its owner is a Class entry
        }
        default -> throw new IOException("unknown constant pool tag " + tag + " at entry " + i + " of " + count);
      }
    }
    return pool;
  }

  /** The tags the pool holds (for tests: which kinds of entry a file exercised). */
  java.util.SortedSet<Integer> tags() {
    java.util.SortedSet<Integer> seen = new java.util.TreeSet<>();
    for (int i = 1; i < tags.length; i++) {
      if (tags[i] != 0) {
        seen.add(tags[i]);
      }
    }
    return seen;
  }

  /** Adds the classes named by Class, NameAndType and MethodType entries. */
  void addReferences(Set<String> refs) {
    for (int i = 1; i < tags.length; i++) {
      switch (tags[i]) {
        case CLASS -> Descriptors.addInternalName(utf8(first[i]), refs);
        case NAME_AND_TYPE -> Descriptors.addClasses(utf8(second[i]), refs);
        case METHOD_TYPE -> Descriptors.addClasses(utf8(first[i]), refs);
        default -> { } // other entries name classes only through Class and NameAndType entries
      }
    }
  }

  /** The string of a UTF8 entry. */
  String utf8(int index) {
    check(index, UTF8);
    return strings[index];
  }

  /** The binary name (with dots) of a Class entry. */
  String className(int index) {
    check(index, CLASS);
    return utf8(first[index]).replace('/', '.');
  }

  private void check(int index, int tag) {
    if (index <= 0 || index >= tags.length || tags[index] != tag) {
      throw new IllegalArgumentException("constant pool entry " + index + " is not of tag " + tag
          + (index > 0 && index < tags.length ? " but " + tags[index] : " (the pool has " + tags.length + " entries)"));
    }
  }
}

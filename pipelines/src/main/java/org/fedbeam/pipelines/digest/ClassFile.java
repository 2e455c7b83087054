package org.fedbeam.pipelines.digest;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.Set;
import java.util.TreeSet;

/**
 * What one class file names: its own name and every class it refers to, read from the class file's
 * bytes (JVMS chapter 4), without loading it.
 *
 * <p>References are collected from every place a class file names a class: the constant pool's
 * {@code CONSTANT_Class} entries (superclass, interfaces, {@code new}, casts, field and method owners,
 * nest and inner-class entries), the descriptors of {@code CONSTANT_NameAndType},
 * {@code CONSTANT_MethodType} and of every field and method, generic {@code Signature} attributes,
 * and the types named by annotations (their element values included). Lambdas and method references
 * are covered: their bodies are methods of the same class file, and their targets are
 * {@code CONSTANT_MethodHandle} entries whose owners are {@code CONSTANT_Class} entries. Array types
 * give their element class; primitive types give nothing. Names are binary names with dots
 * ({@code org.fedbeam.model.Parameters}, {@code a.B$C}).
 *
 * <p>Every constant-pool tag of Java 17 class files (major version up to 61) is understood; an unknown
 * tag, a truncated file or a bad magic number is refused naming the offset or the tag.
 */
public final class ClassFile {
  private static final int MAGIC = 0xCAFEBABE;

  private final String name;
  private final Set<String> references;
  private final Set<Integer> constantTags;

  private ClassFile(String name, Set<String> references, Set<Integer> constantTags) {
    this.name = name;
    this.references = references;
    this.constantTags = constantTags;
  }

  /** The constant-pool tags the file holds (JVMS table 4.4-B), e.g. 7 for CONSTANT_Class. */
  Set<Integer> constantTags() {
    return constantTags;
  }

  /** The class's binary name, e.g. {@code org.fedbeam.transforms.GuardEgress$CheckFn}. */
  public String name() {
    return name;
  }

  /** Every other class the file names, sorted (the class itself excluded). */
  public Set<String> references() {
    return references;
  }

  /**
   * Reads a class file.
   *
   * @param what names the file in an error, e.g. {@code "org/x/Y.class in job.jar"}
   * @throws IllegalArgumentException if the bytes are not a well-formed class file
   */
  public static ClassFile parse(byte[] bytes, String what) {
    try {
      return read(new DataInputStream(new ByteArrayInputStream(bytes)), what);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("cannot read the class file " + what + ": " + e.getMessage(), e);
    }
  }

  private static ClassFile read(DataInputStream in, String what) throws IOException {
    if (in.readInt() != MAGIC) {
      throw new IOException("no class file magic number 0xCAFEBABE");
    }
    in.readUnsignedShort(); // minor
    in.readUnsignedShort(); // major
    ConstantPool pool = ConstantPool.read(in);
    Set<String> refs = new TreeSet<>();
    pool.addReferences(refs);
    in.readUnsignedShort(); // access flags
    String self = pool.className(in.readUnsignedShort());
    in.readUnsignedShort(); // super class: a CONSTANT_Class entry, already collected
    int interfaces = in.readUnsignedShort();
    for (int i = 0; i < interfaces; i++) {
      in.readUnsignedShort(); // CONSTANT_Class entries, already collected
    }
    Attributes attributes = new Attributes(pool, refs);
    for (int members = 0; members < 2; members++) { // fields, then methods
      int count = in.readUnsignedShort();
      for (int i = 0; i < count; i++) {
        in.readUnsignedShort(); // access flags
        in.readUnsignedShort(); // name
        Descriptors.addClasses(pool.utf8(in.readUnsignedShort()), refs);
        attributes.read(in);
      }
    }
    attributes.read(in);
    if (in.read() != -1) {
      throw new IOException("trailing bytes after the class file's attributes");
    }
    refs.remove(self);
    return new ClassFile(self, java.util.Collections.unmodifiableSet(refs), pool.tags());
  }
}

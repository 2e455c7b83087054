package org.fedbeam.pipelines.digest;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.URI;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.zip.ZipFile;
import org.fedbeam.pipelines.rounds.SiloPipeline;
import org.fedbeam.pipelines.runners.FedBeamHome;
import org.junit.jupiter.api.Test;

/** The constant-pool reader, over real class files: the job jar's, the JDK's, and hand-made ones. */
class ClassFileTest {
  /** Every tag of Java 17 class files (JVMS table 4.4-B). */
  private static final Set<Integer> JAVA_17_TAGS = Set.of(1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15, 16, 17, 18, 19, 20);

  @Test
  void readsEveryClassOfTheJobJar() throws IOException {
    Set<Integer> tags = new TreeSet<>();
    int classes = 0;
    try (ZipFile jar = new ZipFile(FedBeamHome.jobJar().toFile())) {
      for (var e : java.util.Collections.list(jar.entries())) {
        if (e.getName().endsWith(".class")) {
          try (InputStream in = jar.getInputStream(e)) {
            ClassFile file = ClassFile.parse(in.readAllBytes(), e.getName());
            tags.addAll(file.constantTags());
            classes++;
          }
        }
      }
    }
    assertThat(classes, greaterThan(50_000));
    // the job jar's 50,000 classes hold every tag but those only module-info files hold (see below)
    assertThat(tags, hasItems(1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15, 16, 18));
  }

  @Test
  void readsTheJdksModuleInfoWithItsModuleAndPackageEntries() throws IOException {
    byte[] bytes = Files.readAllBytes(FileSystems.getFileSystem(URI.create("jrt:/")).getPath("modules/java.base/module-info.class"));

    ClassFile file = ClassFile.parse(bytes, "java.base/module-info.class");

    assertThat(file.name(), equalTo("module-info"));
    assertThat(file.constantTags(), hasItems(ConstantPool.MODULE, ConstantPool.PACKAGE));
  }

  @Test
  void readsAFileWithOneEntryOfEveryTag() {
    ClassFile file = ClassFile.parse(everyTag(), "hand-made");

    assertThat(file.constantTags(), equalTo(JAVA_17_TAGS));
    assertThat(file.name(), equalTo("p.Every"));
    // a Class entry, a NameAndType descriptor (of a Dynamic constant) and a MethodType
    assertThat(file.references(), hasItems("q.Owner", "q.Constant", "q.Argument", "q.Result", "java.lang.Object"));
  }

  /** A generic class whose type parameters are named like descriptors, to trip a naive reader. */
  static final class Odd<LIST extends Callable<Integer>, TT extends Comparable<TT>> {
    java.util.Map<String, java.util.List<? super LIST>>[] field;

    <Lq extends Runnable> Lq method(java.util.function.Supplier<? extends TT> s, int[][] grid) throws java.io.IOException {
      return null;
    }
  }

  @Test
  void readsGenericSignaturesWhoseTypeParametersLookLikeDescriptors() throws IOException {
    ClassFile file = parse(Odd.class);

    assertThat(file.references(), hasItems("java.util.concurrent.Callable", "java.lang.Integer", "java.lang.Comparable",
        "java.util.Map", "java.util.List", "java.lang.Runnable", "java.util.function.Supplier", "java.io.IOException",
        ClassFileTest.class.getName()));
    assertThat(file.references(), everyItem(not(containsString(":"))));
    assertThat(file.references(), everyItem(not(containsString("<"))));
    assertThat(file.references(), everyItem(not(containsString("/"))));
  }

  @Test
  void findsEveryTypeReflectionSeesInTheSiloPipelinesClasses() throws Exception {
    for (String name : SiloPipeline.definition().classes()) {
      Class<?> c = Class.forName(name, false, getClass().getClassLoader());
      Set<String> refs = parse(c).references();
      Set<Class<?>> seen = new java.util.HashSet<>();
      if (c.getSuperclass() != null) {
        seen.add(c.getSuperclass());
      }
      seen.addAll(Arrays.asList(c.getInterfaces()));
      seen.addAll(Arrays.asList(c.getDeclaredClasses()));
      for (Field f : c.getDeclaredFields()) {
        seen.add(f.getType());
      }
      for (Method m : c.getDeclaredMethods()) {
        seen.add(m.getReturnType());
        seen.addAll(Arrays.asList(m.getParameterTypes()));
        seen.addAll(Arrays.asList(m.getExceptionTypes()));
        Arrays.stream(m.getDeclaredAnnotations()).forEach(a -> seen.add(a.annotationType()));
      }
      for (Class<?> t : seen) {
        while (t.isArray()) {
          t = t.getComponentType();
        }
        if (!t.isPrimitive() && t != c) {
          assertThat(name + " names " + t.getName(), refs.contains(t.getName()), equalTo(true));
        }
      }
    }
  }

  @Test
  void refusesWhatIsNotAClassFile() {
    IllegalArgumentException notOne = assertThrows(IllegalArgumentException.class,
        () -> ClassFile.parse("PK\u0003\u0004 a zip".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), "x.class"));
    assertThat(notOne.getMessage(), equalTo("cannot read the class file x.class: no class file magic number 0xCAFEBABE"));

    byte[] whole = everyTag();
    IllegalArgumentException truncated = assertThrows(IllegalArgumentException.class,
        () -> ClassFile.parse(Arrays.copyOf(whole, whole.length - 3), "cut.class"));
    assertThat(truncated.getMessage(), containsString("cannot read the class file cut.class"));

    byte[] badTag = whole.clone();
    badTag[10] = 2; // the first entry's tag: 2 is no tag
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> ClassFile.parse(badTag, "tag.class"));
    assertThat(unknown.getMessage(), containsString("unknown constant pool tag 2 at entry 1"));

    byte[] longer = Arrays.copyOf(whole, whole.length + 1);
    IllegalArgumentException trailing = assertThrows(IllegalArgumentException.class, () -> ClassFile.parse(longer, "long.class"));
    assertThat(trailing.getMessage(), containsString("trailing bytes"));
  }

  private static ClassFile parse(Class<?> c) throws IOException {
    try (InputStream in = c.getResourceAsStream("/" + c.getName().replace('.', '/') + ".class")) {
      return ClassFile.parse(in.readAllBytes(), c.getName());
    }
  }

  /**
   * A class file {@code p.Every extends java.lang.Object} whose constant pool holds one entry of each
   * Java 17 tag, no fields, methods or attributes. Entry numbers are noted beside each entry.
   */
  private static byte[] everyTag() {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeInt(0xCAFEBABE);
      out.writeShort(0);
      out.writeShort(61);
      out.writeShort(28); // count: entries 1..27
      utf8(out, "p/Every"); // 1
      classEntry(out, 1); // 2
      utf8(out, "java/lang/Object"); // 3
      classEntry(out, 3); // 4
      out.writeByte(3); // 5 Integer
      out.writeInt(42);
      out.writeByte(4); // 6 Float
      out.writeFloat(1.5f);
      out.writeByte(5); // 7-8 Long
      out.writeLong(7L);
      out.writeByte(6); // 9-10 Double
      out.writeDouble(2.5);
      out.writeByte(8); // 11 String -> 1
      out.writeShort(1);
      utf8(out, "q/Owner"); // 12
      classEntry(out, 12); // 13
      utf8(out, "f"); // 14
      utf8(out, "Lq/Constant;"); // 15
      out.writeByte(12); // 16 NameAndType f:Lq/Constant;
      out.writeShort(14);
      out.writeShort(15);
      out.writeByte(9); // 17 Fieldref q.Owner.f
      out.writeShort(13);
      out.writeShort(16);
      out.writeByte(10); // 18 Methodref (reuses the NameAndType: only the shape matters here)
      out.writeShort(13);
      out.writeShort(16);
      out.writeByte(11); // 19 InterfaceMethodref
      out.writeShort(13);
      out.writeShort(16);
      out.writeByte(15); // 20 MethodHandle, REF_getStatic of 17
      out.writeByte(2);
      out.writeShort(17);
      utf8(out, "(Lq/Argument;)Lq/Result;"); // 21
      out.writeByte(16); // 22 MethodType
      out.writeShort(21);
      out.writeByte(17); // 23 Dynamic, bootstrap 0, f:Lq/Constant;
      out.writeShort(0);
      out.writeShort(16);
      out.writeByte(18); // 24 InvokeDynamic
      out.writeShort(0);
      out.writeShort(16);
      out.writeByte(19); // 25 Module -> 1
      out.writeShort(1);
      out.writeByte(20); // 26 Package -> 1
      out.writeShort(1);
      utf8(out, "unused"); // 27
      out.writeShort(0x0021); // public super
      out.writeShort(2); // this
      out.writeShort(4); // super
      out.writeShort(0); // interfaces
      out.writeShort(0); // fields
      out.writeShort(0); // methods
      out.writeShort(0); // attributes
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void utf8(DataOutputStream out, String s) throws IOException {
    out.writeByte(1);
    out.writeUTF(s);
  }

  private static void classEntry(DataOutputStream out, int name) throws IOException {
    out.writeByte(7);
    out.writeShort(name);
  }
}

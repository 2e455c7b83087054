package org.fedbeam.tools;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.hasItem;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The direction of dependencies (docs/architecture.md), checked on the compiled main classes of every
 * module (model, testing, transforms, pipelines, tools; tests excluded):
 * <ul>
 *   <li>no package cycle anywhere under {@code org.fedbeam};
 *   <li>model &lt;- transforms &lt;- pipelines &lt;- tools, never the other way; model knows no Beam and no
 *       Flink; only tools uses the test support;
 *   <li>inside pipelines: cli -&gt; federated -&gt; {loop, rounds, protocol, runners, digest}, no upward arrow;
 *   <li>Flink's own API ({@code org.apache.flink}) only in {@code pipelines.runners}.
 * </ul>
 */
class LayeringTest {
  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("org.fedbeam");
  }

  @Test
  void importsEveryModule() {
    Set<String> packages = classes.stream().map(JavaClass::getPackageName).collect(Collectors.toSet());
    for (String p : new String[] {"org.fedbeam.model", "org.fedbeam.model.privacy", "org.fedbeam.data",
        "org.fedbeam.transforms", "org.fedbeam.transforms.storage", "org.fedbeam.testing",
        "org.fedbeam.pipelines.cli", "org.fedbeam.pipelines.federated", "org.fedbeam.pipelines.loop",
        "org.fedbeam.pipelines.rounds", "org.fedbeam.pipelines.protocol", "org.fedbeam.pipelines.runners",
        "org.fedbeam.pipelines.digest", "org.fedbeam.tools", "org.fedbeam.stats", "org.fedbeam.preprocess",
        "org.fedbeam.data.table"}) {
      assertThat(packages, hasItem(p));
    }
  }

  @Test
  void noPackageCycles() {
    slices().matching("org.fedbeam.(**)").should().beFreeOfCycles().check(classes);
  }

  @Test
  void modelKnowsNoBeamNoFlinkAndNoOtherModule() {
    noClasses().that().resideInAnyPackage("org.fedbeam.model..", "org.fedbeam.data..", "org.fedbeam.stats..",
            "org.fedbeam.preprocess..")
        .should().dependOnClassesThat().resideInAnyPackage("org.fedbeam.transforms..", "org.fedbeam.pipelines..",
            "org.fedbeam.tools..", "org.fedbeam.testing..", "org.apache.beam..", "org.apache.flink..")
        .check(classes);
  }

  @Test
  void transformsKnowNoPipelinesAndNoTools() {
    noClasses().that().resideInAPackage("org.fedbeam.transforms..")
        .should().dependOnClassesThat().resideInAnyPackage("org.fedbeam.pipelines..", "org.fedbeam.tools..",
            "org.fedbeam.testing..", "org.apache.flink..")
        .check(classes);
  }

  @Test
  void pipelinesKnowNoToolsAndNoTestSupport() {
    noClasses().that().resideInAPackage("org.fedbeam.pipelines..")
        .should().dependOnClassesThat().resideInAnyPackage("org.fedbeam.tools..", "org.fedbeam.testing..")
        .check(classes);
  }

  @Test
  void testSupportDependsOnNoModule() {
    noClasses().that().resideInAPackage("org.fedbeam.testing..")
        .should().dependOnClassesThat().resideInAnyPackage("org.fedbeam.model..", "org.fedbeam.data..",
            "org.fedbeam.stats..", "org.fedbeam.preprocess..", "org.fedbeam.transforms..", "org.fedbeam.pipelines..",
            "org.fedbeam.tools..")
        .check(classes);
  }

  @Test
  void onlyRunnersUseFlink() {
    noClasses().that().resideInAPackage("org.fedbeam..").and().resideOutsideOfPackage("org.fedbeam.pipelines.runners..")
        .should().dependOnClassesThat().resideInAPackage("org.apache.flink..")
        .check(classes);
  }

  @Test
  void pipelinesLayers() {
    layeredArchitecture().consideringOnlyDependenciesInLayers()
        .layer("tools").definedBy("org.fedbeam.tools..")
        .layer("cli").definedBy("org.fedbeam.pipelines.cli..")
        .layer("federated").definedBy("org.fedbeam.pipelines.federated..")
        .layer("core").definedBy("org.fedbeam.pipelines.loop..", "org.fedbeam.pipelines.rounds..",
            "org.fedbeam.pipelines.protocol..", "org.fedbeam.pipelines.runners..", "org.fedbeam.pipelines.digest..")
        .whereLayer("tools").mayNotBeAccessedByAnyLayer()
        .whereLayer("cli").mayOnlyBeAccessedByLayers("tools")
        .whereLayer("federated").mayOnlyBeAccessedByLayers("cli", "tools")
        .whereLayer("core").mayOnlyBeAccessedByLayers("federated", "cli", "tools")
        .check(classes);
  }
}

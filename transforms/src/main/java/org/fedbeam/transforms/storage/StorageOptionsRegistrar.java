package org.fedbeam.transforms.storage;

import java.util.List;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsRegistrar;

/**
 * Registers {@link ContainerAccountsOptions} with Beam's {@code PipelineOptionsFactory} (through
 * {@code META-INF/services}), so {@code --azureContainerAccounts} parses on any command line.
 */
public final class StorageOptionsRegistrar implements PipelineOptionsRegistrar {
  @Override
  public Iterable<Class<? extends PipelineOptions>> getPipelineOptions() {
    return List.of(ContainerAccountsOptions.class);
  }
}

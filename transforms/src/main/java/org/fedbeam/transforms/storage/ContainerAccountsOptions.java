package org.fedbeam.transforms.storage;

import org.apache.beam.sdk.io.azure.options.BlobstoreOptions;
import org.apache.beam.sdk.options.Description;

/**
 * {@code --azureContainerAccounts=FILE}: the {@link ContainerAccounts} file that {@link
 * ContainerAccountsClientFactory} routes each {@code azfs://} container by. Registered with Beam by
 * {@link StorageOptionsRegistrar}, so every FedBeam command line accepts it.
 */
public interface ContainerAccountsOptions extends BlobstoreOptions {
  @Description("A local JSON file (format fedbeam-azure-containers-v1) naming, for each azfs:// container this process "
      + "may use, the storage account that holds it and its key; used with --blobstoreClientFactoryClass="
      + "org.fedbeam.transforms.storage.ContainerAccountsClientFactory")
  String getAzureContainerAccounts();

  void setAzureContainerAccounts(String value);
}

/**
 * Azure Blob storage behind Beam's {@code azfs://ACCOUNT/CONTAINER/path} URIs: client factories
 * that authenticate with a connection string only ({@link
 * org.fedbeam.transforms.storage.ConnectionStringClientFactory}, one account per process, also what
 * makes the plain-http Azurite emulator usable) or route each container to its own account and key
 * ({@link org.fedbeam.transforms.storage.ContainerAccountsClientFactory}, reading a {@link
 * org.fedbeam.transforms.storage.ContainerAccounts} file); container creation, which Beam's Azure
 * file system does not do ({@link org.fedbeam.transforms.storage.AzureContainers}). The launcher
 * for a local Azurite emulator is {@code org.fedbeam.testing.AzuriteServer} (module fedbeam-testing). Reading and
 * writing artifacts stays in {@link org.fedbeam.transforms.Artifacts}, through Beam's
 * {@code FileSystems}.
 */
package org.fedbeam.transforms.storage;

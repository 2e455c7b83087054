/**
 * Azure Blob storage behind Beam's {@code azfs://ACCOUNT/CONTAINER/path} URIs: a client factory
 * that authenticates with a connection string only ({@link
 * org.fedbeam.transforms.storage.ConnectionStringClientFactory}, also what makes the plain-http
 * Azurite emulator usable) and container creation, which Beam's Azure file system does not do
 * ({@link org.fedbeam.transforms.storage.AzureContainers}). Reading and writing artifacts stays in
 * {@link org.fedbeam.transforms.Artifacts}, through Beam's {@code FileSystems}.
 */
package org.fedbeam.transforms.storage;

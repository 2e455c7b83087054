/**
 * Test support shared by the modules' tests and the demo: a launcher for a local Azurite blob
 * emulator ({@link org.fedbeam.testing.AzuriteServer}). Plain Java: it depends on no FedBeam module.
 */
package org.fedbeam.testing;

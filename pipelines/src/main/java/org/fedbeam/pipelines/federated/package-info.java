/**
 * The federated deployment mode: silo agents and the orchestrator as separate processes whose only
 * channel is each silo's exchange area, Ed25519-signed messages, the provider's silo policy, and
 * the audit log. See docs/federated.md.
 */
package org.fedbeam.pipelines.federated;

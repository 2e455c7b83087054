/**
 * What crosses the exchange between the parties: the messages ({@link
 * org.fedbeam.pipelines.protocol.Messages}), their Ed25519 signatures ({@link
 * org.fedbeam.pipelines.protocol.Signed}, {@link org.fedbeam.pipelines.protocol.Keys}), a silo's exchange
 * area ({@link org.fedbeam.pipelines.protocol.Exchange}), the job a submitter signs ({@link
 * org.fedbeam.pipelines.protocol.JobSpec}) and the fixed set of refusal reasons. No process lives here.
 */
package org.fedbeam.pipelines.protocol;

/**
 * The approval digest of the silo pipeline, derived from the class files of the code that runs in it:
 * a constant-pool reader ({@link org.fedbeam.pipelines.digest.ClassFile}), where class files come from
 * (a class path or a job jar: {@link org.fedbeam.pipelines.digest.ClassSource}), the closure and its
 * SHA-256 ({@link org.fedbeam.pipelines.digest.PipelineDigest}), and its listing for a provider
 * ({@link org.fedbeam.pipelines.digest.DigestListing}). Plain JDK: no Beam, no Flink.
 */
package org.fedbeam.pipelines.digest;
